package engine

import (
	"bytes"
	"slices"
)

// pack is a sequence of byte strings stored in one arena: element i is
// data[ends[i-1]:ends[i]]. It is the engine's compact form for small
// aggregates and for the nodes of big lists, sorted sets and streams
// (the role listpacks play in the server): 4 bytes of overhead per element
// and two heap objects per pack, whatever the number of elements.
type pack struct {
	data []byte
	ends []uint32
}

func (p *pack) len() int { return len(p.ends) }

func (p *pack) start(i int) uint32 {
	if i == 0 {
		return 0
	}
	return p.ends[i-1]
}

// at returns element i; the slice aliases the arena (capacity-limited).
func (p *pack) at(i int) []byte {
	s, t := p.start(i), p.ends[i]
	return p.data[s:t:t]
}

func (p *pack) bytes() int { return len(p.data) }

// reserve makes room for n more elements of nb bytes in total, so that a
// command adding several elements allocates once.
func (p *pack) reserve(nb, n int) {
	if cap(p.data)-len(p.data) < nb {
		p.data = slices.Grow(p.data, nb)
	}
	if cap(p.ends)-len(p.ends) < n {
		p.ends = slices.Grow(p.ends, n)
	}
}

func (p *pack) push(b []byte) {
	p.data = append(p.data, b...)
	p.ends = append(p.ends, uint32(len(p.data)))
}

// insert makes b element i (0 ≤ i ≤ len). b must not alias the arena.
func (p *pack) insert(i int, b []byte) {
	if i == len(p.ends) {
		p.push(b)
		return
	}
	s, n := p.start(i), uint32(len(b))
	p.data = append(p.data, b...) // grow
	copy(p.data[int(s)+len(b):], p.data[s:len(p.data)-len(b)])
	copy(p.data[s:], b)
	p.ends = append(p.ends, 0)
	copy(p.ends[i+1:], p.ends[i:])
	p.ends[i] = s
	for j := i; j < len(p.ends); j++ {
		p.ends[j] += n
	}
}

// remove deletes elements [i, j).
func (p *pack) remove(i, j int) {
	if i >= j {
		return
	}
	s, t := p.start(i), p.ends[j-1]
	p.data = append(p.data[:s], p.data[t:]...)
	p.ends = append(p.ends[:i], p.ends[j:]...)
	d := t - s
	for k := i; k < len(p.ends); k++ {
		p.ends[k] -= d
	}
}

// set replaces element i by b (b must not alias the arena).
func (p *pack) set(i int, b []byte) {
	old := p.at(i)
	if len(old) == len(b) {
		copy(old, b)
		return
	}
	p.remove(i, i+1)
	p.insert(i, b)
}

// index returns the position of the first element equal to b, or -1.
func (p *pack) index(b []byte) int {
	s := uint32(0)
	for i, t := range p.ends {
		if int(t-s) == len(b) && bytes.Equal(p.data[s:t], b) {
			return i
		}
		s = t
	}
	return -1
}

// indexStep is index over the elements at positions 0, step, 2*step, ...
// (the fields of a field/value pack), returning the element position.
func (p *pack) indexStep(b []byte, step int) int {
	for i := 0; i < len(p.ends); i += step {
		s, t := p.start(i), p.ends[i]
		if int(t-s) == len(b) && bytes.Equal(p.data[s:t], b) {
			return i
		}
	}
	return -1
}

func (p *pack) clone() pack {
	return pack{data: clone(p.data), ends: append([]uint32(nil), p.ends...)}
}

// exact returns a copy of p whose arena and ends have no spare capacity.
func (p *pack) exact() pack {
	return pack{data: slices.Clone(p.data), ends: slices.Clone(p.ends)}
}

// truncate empties p, keeping its buffers.
func (p *pack) truncate() {
	p.data, p.ends = p.data[:0], p.ends[:0]
}
