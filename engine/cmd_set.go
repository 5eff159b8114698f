package engine

// Set commands (Redis src/t_set.c).

var setCommands = []cmdSpec{
	{name: "sadd", fn: cmdSAdd},
	{name: "srem", fn: cmdSRem},
	{name: "smove", fn: cmdSMove},
	{name: "spop", fn: cmdSPop},
	{name: "sinterstore", fn: func(e *Engine, a [][]byte) error { return e.setOpStore(a, opInter) }},
	{name: "sunionstore", fn: func(e *Engine, a [][]byte) error { return e.setOpStore(a, opUnion) }},
	{name: "sdiffstore", fn: func(e *Engine, a [][]byte) error { return e.setOpStore(a, opDiff) }},
}

const (
	opUnion = iota
	opInter
	opDiff
)

func (e *Engine) set(key []byte) (*setObj, error) {
	o, err := e.cur().typed(key, kindSet)
	if o == nil {
		return nil, err
	}
	return o.(*setObj), nil
}

func cmdSAdd(e *Engine, a [][]byte) error {
	s, err := e.set(a[1])
	if err != nil {
		return err
	}
	if s == nil {
		s = &setObj{}
		s.small.reserve(argBytes(a[2:]), len(a)-2)
		e.cur().put(a[1], s, noExpire)
	}
	for _, m := range a[2:] {
		s.add(m)
	}
	return nil
}

func cmdSRem(e *Engine, a [][]byte) error {
	s, err := e.set(a[1])
	if err != nil || s == nil {
		return err
	}
	for _, m := range a[2:] {
		if s.remove(m) && s.length() == 0 {
			e.cur().del(a[1])
			break
		}
	}
	return nil
}

func cmdSMove(e *Engine, a [][]byte) error {
	src, err := e.set(a[1])
	if err != nil || src == nil {
		return err
	}
	dst, err := e.set(a[2])
	if err != nil {
		return err
	}
	if src == dst {
		return nil
	}
	if !src.remove(a[3]) {
		return nil
	}
	e.cur().deleteIfEmpty(a[1], src)
	if dst == nil {
		dst = &setObj{}
		e.cur().put(a[2], dst, noExpire)
	}
	dst.add(a[3])
	return nil
}

// cmdSPop: the server picks members at random and propagates SREM (or DEL)
// instead, so SPOP only reaches an AOF through very old servers. Only the
// cases with a determined result are executed.
func cmdSPop(e *Engine, a [][]byte) error {
	if len(a) > 3 {
		return errSyntax
	}
	s, err := e.set(a[1])
	if err != nil {
		return err
	}
	count := int64(1)
	if len(a) == 3 {
		n, ok := parseInt(a[2])
		if !ok || n < 0 {
			return errNotPos
		}
		count = n
	}
	if s == nil || count == 0 {
		return nil
	}
	if count >= int64(s.length()) {
		e.cur().del(a[1])
		return nil
	}
	return unsupported("SPOP removes random members (a server propagates SREM instead)")
}

// setSources returns the sets named by keys (nil for a missing key).
func (e *Engine) setSources(keys [][]byte) ([]*setObj, error) {
	out := make([]*setObj, len(keys))
	for i, k := range keys {
		s, err := e.set(k)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (e *Engine) setOpStore(a [][]byte, op int) error {
	srcs, err := e.setSources(a[2:])
	if err != nil {
		return err
	}
	res := &setObj{}
	switch op {
	case opUnion:
		for _, s := range srcs {
			if s != nil {
				s.each(func(m []byte) bool { res.add(m); return true })
			}
		}
	case opInter:
		ok := true
		for _, s := range srcs {
			if s == nil {
				ok = false
			}
		}
		if ok {
			srcs[0].each(func(m []byte) bool {
				for _, s := range srcs[1:] {
					if !s.has(m) {
						return true
					}
				}
				res.add(m)
				return true
			})
		}
	case opDiff:
		if srcs[0] != nil {
			srcs[0].each(func(m []byte) bool {
				for _, s := range srcs[1:] {
					if s != nil && s.has(m) {
						return true
					}
				}
				res.add(m)
				return true
			})
		}
	}
	d := e.cur()
	if res.length() == 0 {
		d.del(a[1])
		return nil
	}
	d.put(a[1], res, noExpire)
	return nil
}
