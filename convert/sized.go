package convert

import "github.com/rdbkit/rdbkit/rdbfile"

// sizedKey converts a key under a size filter. Its record's size is known
// only once its value was read, so its output is held by the Writer
// (Writer.Hold) and kept or taken back then, and so is its part of the
// report (losses included: a key left out by the size filter loses
// nothing). The hold lets the output through as soon as the record is
// known to be MinBytes long (without MaxBytes), and drops it as soon as
// it is known to exceed MaxBytes: memory stays bounded by the converted
// bytes of that much input.
func (c *conv) sizedKey(e *rdbfile.Entry) error {
	m := c.rep.mark(e.TypeName)
	holding := false
	if c.writing() {
		if err := c.selectDB(e.DB); err != nil {
			return err
		}
		start, f := e.Offset, &c.f
		err := c.w.Hold(func() rdbfile.HoldState {
			n := c.r.Offset() - start // bytes of the record read so far: at most its size
			switch {
			case f.MaxBytes > 0 && n > f.MaxBytes:
				return rdbfile.HoldDrop
			case f.MaxBytes <= 0 && n >= f.MinBytes:
				return rdbfile.HoldKeep
			}
			return rdbfile.HoldUndecided
		})
		if err != nil {
			return err
		}
		holding = true
	}
	err := c.keyBody(e)
	if err == nil {
		err = e.Skip() // a key left out by a policy: its size still decides
	}
	keep := err == nil && c.f.Size(e.Size)
	if holding {
		if rerr := c.w.Release(keep); err == nil {
			err = rerr
		}
	}
	if err != nil {
		return err
	}
	if !keep {
		c.rep.reset(m)
		c.rep.KeysFiltered++
	}
	return nil
}

// reportMark is the part of a Report one key may change.
type reportMark struct {
	written, raw, reenc int64
	typ                 string
	enc                 int64
	losses              int
	counts              []int64
	named               []int
	blocked             bool
}

func (rep *Report) mark(typ string) reportMark {
	m := reportMark{written: rep.KeysWritten, raw: rep.Raw, reenc: rep.Reencoded, typ: typ, enc: rep.Encodings[typ],
		losses: len(rep.Losses), blocked: rep.Blocked}
	for _, l := range rep.Losses {
		m.counts = append(m.counts, l.Count)
		m.named = append(m.named, len(l.Keys))
	}
	return m
}

// reset takes back what the report gained since m.
func (rep *Report) reset(m reportMark) {
	rep.KeysWritten, rep.Raw, rep.Reencoded, rep.Blocked = m.written, m.raw, m.reenc, m.blocked
	if m.enc == 0 {
		delete(rep.Encodings, m.typ)
	} else {
		rep.Encodings[m.typ] = m.enc
	}
	rep.Losses = rep.Losses[:m.losses]
	for i, l := range rep.Losses {
		l.Count, l.Keys = m.counts[i], l.Keys[:m.named[i]]
	}
}
