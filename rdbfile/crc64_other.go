//go:build !amd64 || purego

package rdbfile

// crc64HasCLMUL reports whether crc64Update uses the carry-less-multiply
// kernel; there is none on this architecture (or with the purego tag).
const crc64HasCLMUL = false

// crc64Update returns the Redis CRC-64 of p continued from crc (0 to start).
// crc64Update(crc64Update(0, a), b) == crc64Update(0, a+b).
func crc64Update(crc uint64, p []byte) uint64 {
	return crc64UpdateGeneric(crc, p)
}

// crc64CLMUL stands in for the amd64 kernel so that code and tests calling it
// build everywhere: same contract (len(p) a multiple of 16, any remainder
// ignored), computed with the table code.
func crc64CLMUL(crc uint64, p []byte) uint64 {
	return crc64UpdateGeneric(crc, p[:len(p)&^15])
}
