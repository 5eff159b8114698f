package rdbfile

import "encoding/binary"

// CRC-64/Jones as used for the RDB checksum footer (Redis src/crc64.c,
// src/crcspeed.c): reflected polynomial 0x95AC9329AC4BC9B5, initial value 0,
// no final XOR. The check value for "123456789" is 0xE9C6D914C4B8D9CA.
//
// hash/crc64 cannot be used directly because it inverts the register before
// and after each update (init and xorout ~0); see FORMATS.md §1.6.

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

// crc64Update returns the Redis CRC-64 of p continued from crc (0 to start).
// crc64Update(crc64Update(0, a), b) == crc64Update(0, a+b).
func crc64Update(crc uint64, p []byte) uint64 {
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
