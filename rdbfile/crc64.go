package rdbfile

import "encoding/binary"

// CRC-64/Jones as used for the RDB checksum footer (Redis src/crc64.c,
// src/crcspeed.c): reflected polynomial 0x95AC9329AC4BC9B5, initial value 0,
// no final XOR. The check value for "123456789" is 0xE9C6D914C4B8D9CA.
//
// hash/crc64 cannot be used directly because it inverts the register before
// and after each update (init and xorout ~0); Redis src/crc64.c crc64
// does neither.

const crc64JonesPoly = 0x95AC9329AC4BC9B5 // reflected form

// crc64Tab holds the slicing-by-16 tables: crc64Tab[0] is the classic
// byte-at-a-time table and crc64Tab[k][i] is the CRC contribution of byte i
// followed by k zero bytes. Built once at package initialisation (32 KiB).
var crc64Tab = makeCRC64Tables()

func makeCRC64Tables() *[16][256]uint64 {
	t := new([16][256]uint64)
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ crc64JonesPoly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for k := 1; k < 16; k++ {
			c = t[0][c&0xff] ^ c>>8
			t[k][i] = c
		}
	}
	return t
}

// crc64UpdateGeneric is the portable slicing-by-16 implementation of
// crc64Update (about 2 GB/s): it returns the Redis CRC-64 of p continued from
// crc (0 to start). It is the only implementation on architectures without
// an assembly kernel, and it handles the short inputs and the sub-16-byte
// tails the CLMUL kernel leaves over on amd64.
func crc64UpdateGeneric(crc uint64, p []byte) uint64 {
	t := crc64Tab
	for len(p) >= 16 {
		a := crc ^ binary.LittleEndian.Uint64(p)
		b := binary.LittleEndian.Uint64(p[8:])
		crc = t[15][a&0xff] ^ t[14][a>>8&0xff] ^ t[13][a>>16&0xff] ^ t[12][a>>24&0xff] ^
			t[11][a>>32&0xff] ^ t[10][a>>40&0xff] ^ t[9][a>>48&0xff] ^ t[8][a>>56] ^
			t[7][b&0xff] ^ t[6][b>>8&0xff] ^ t[5][b>>16&0xff] ^ t[4][b>>24&0xff] ^
			t[3][b>>32&0xff] ^ t[2][b>>40&0xff] ^ t[1][b>>48&0xff] ^ t[0][b>>56]
		p = p[16:]
	}
	if len(p) >= 8 {
		a := crc ^ binary.LittleEndian.Uint64(p)
		crc = t[7][a&0xff] ^ t[6][a>>8&0xff] ^ t[5][a>>16&0xff] ^ t[4][a>>24&0xff] ^
			t[3][a>>32&0xff] ^ t[2][a>>40&0xff] ^ t[1][a>>48&0xff] ^ t[0][a>>56]
		p = p[8:]
	}
	for _, c := range p {
		crc = t[0][byte(crc)^c] ^ crc>>8
	}
	return crc
}

// crc64FoldConsts are the carry-less-multiplication constants for the
// folding kernel in crc64_amd64.s, after Intel's white paper "Fast CRC
// Computation for Generic Polynomials Using PCLMULQDQ Instruction" (Gopal et
// al., 2009), reflected variant. They are properties of the polynomial only
// and are recomputed from crc64JonesPoly by TestCRC64FoldConsts. They equal
// the rk constants of Intel ISA-L's crc64_jones_refl_by8.asm.
//
// Every value is a polynomial of degree < 64 in bit-reflected form (bit i is
// the coefficient of x^(63-i)); "x^n" below means x^n mod P, where P is the
// full degree-64 polynomial. The asm loads them in pairs as one XMM register
// (lower qword first). Folding a 128-bit accumulator forward by d bits uses
// the pair {x^(d+63), x^(d-1)}: the exponents are one less than the 64-bit
// shift each half needs because the carry-less product of two reflected
// 64-bit values comes out one bit position short of the 128-bit layout.
var crc64FoldConsts = [12]uint64{
	0xcc26fa7c57f8054c, 0x768361524d29ed0b, // d=1024: x^1087, x^1023 (8 lanes x 128 bits)
	0xaf86efb16d9ab4fb, 0xf49784a634f014e4, // d=512:  x^575, x^511 (4 lanes; 8 -> 4)
	0xa062b2319d66692f, 0x7b3211a760160db8, // d=384:  x^447, x^383 (4 -> 1)
	0x6ba4d760ab38201e, 0xef3d1d18ed889ed2, // d=256:  x^319, x^255 (4 -> 1)
	0xd9d7be7d505da32c, 0x381d0015c96f4444, // d=128:  x^191, x^127 (1 lane; 128 -> 64)
	// Barrett reduction: floor(x^127 / P), and P - x^64 - 1 divided by x
	// (i.e. P's low 64 coefficients without the x^0 term, shifted so that a
	// product with it lands in the upper qword unshifted).
	0x3e6cfa329aef9f77, 0x2b5926535897936a,
}
