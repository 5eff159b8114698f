package repair

import (
	"fmt"
	"sort"
)

// blockSlack is added per file written: a filesystem allocates whole
// blocks, and an undo file has a header.
const blockSlack = 8 << 10

// SpaceError is returned before anything is written when a filesystem
// lacks the room a repair needs.
type SpaceError struct {
	Dir   string // a directory on the filesystem short of space
	Need  int64  // bytes needed there
	Avail int64  // bytes available there
}

func (e *SpaceError) Error() string {
	return fmt.Sprintf("repair: needs %d bytes on the filesystem of %s, %d available", e.Need, e.Dir, e.Avail)
}

// spaceNeeds adds up bytes per filesystem and checks each against what is
// available.
type spaceNeeds struct {
	byDev map[uint64]*SpaceError
	order []uint64
}

func (s *spaceNeeds) add(dir string, n int64) {
	if n <= 0 {
		return
	}
	dev, avail, ok := fsInfo(dir)
	if !ok {
		return // unknown here: the writes themselves will tell
	}
	if s.byDev == nil {
		s.byDev = map[uint64]*SpaceError{}
	}
	e := s.byDev[dev]
	if e == nil {
		e = &SpaceError{Dir: dir, Avail: avail}
		s.byDev[dev] = e
		s.order = append(s.order, dev)
	}
	e.Need += n + blockSlack
}

func (s *spaceNeeds) check() error {
	sort.Slice(s.order, func(i, j int) bool { return s.order[i] < s.order[j] })
	for _, d := range s.order {
		if e := s.byDev[d]; e.Need > e.Avail {
			return e
		}
	}
	return nil
}
