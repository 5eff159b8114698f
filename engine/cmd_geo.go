package engine

import (
	"math"
	"sort"
	"strconv"
)

// Geo commands (Redis src/geo.c, src/geohash.c, src/geohash_helper.c).
// GEOADD reaches the AOF as ZADD with 52-bit geohash scores; the *STORE
// forms are propagated as they are and are replayed here by testing every
// member of the source against the shape (the server first narrows the
// candidates to nine geohash boxes that cover the shape, then applies the
// same test).

var geoCommands = []cmdSpec{
	{name: "geoadd", fn: cmdGeoAdd},
	{name: "georadius", fn: func(e *Engine, a [][]byte) error { return e.geoSearch(a, geoRadiusCoords) }},
	{name: "georadiusbymember", fn: func(e *Engine, a [][]byte) error { return e.geoSearch(a, geoRadiusMember) }},
	{name: "geosearchstore", fn: func(e *Engine, a [][]byte) error { return e.geoSearch(a, geoSearchStore) }},
}

var (
	geoLatMin  = -85.05112878
	geoLatMax  = 85.05112878
	geoLongMin = -180.0
	geoLongMax = 180.0
)

const (
	geoStep           = 26
	earthRadiusMeters = 6372797.560856
	degToRad          = math.Pi / 180.0
)

func spread32(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

func squash64(x uint64) uint32 {
	x &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

// geoEncode is geohashEncodeWGS84 + geohashAlign52Bits.
func geoEncode(lon, lat float64) uint64 {
	latOff := (lat - geoLatMin) / (geoLatMax - geoLatMin)
	lonOff := (lon - geoLongMin) / (geoLongMax - geoLongMin)
	latOff *= float64(uint64(1) << geoStep)
	lonOff *= float64(uint64(1) << geoStep)
	return spread32(uint32(latOff)) | spread32(uint32(lonOff))<<1
}

// geoDecode is geohashDecodeToLongLatWGS84: the centre of the cell.
func geoDecode(bits uint64) (lon, lat float64) {
	ilat := squash64(bits)
	ilon := squash64(bits >> 1)
	latScale := geoLatMax - geoLatMin
	lonScale := geoLongMax - geoLongMin
	div := float64(uint64(1) << geoStep)
	latMin := geoLatMin + (float64(ilat)*1.0/div)*latScale
	latMax := geoLatMin + (float64(uint64(ilat)+1)*1.0/div)*latScale
	lonMin := geoLongMin + (float64(ilon)*1.0/div)*lonScale
	lonMax := geoLongMin + (float64(uint64(ilon)+1)*1.0/div)*lonScale
	lon = (lonMin + lonMax) / 2
	lon = min(max(lon, geoLongMin), geoLongMax)
	lat = (latMin + latMax) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadiusMeters * math.Abs(float64(lat2*degToRad)-float64(lat1*degToRad))
}

// geoDistance is geohashGetDistance (haversine).
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r := float64(lon1 * degToRad)
	lon2r := float64(lon2 * degToRad)
	v := cSin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r := float64(lat1 * degToRad)
	lat2r := float64(lat2 * degToRad)
	u := cSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(cCos(lat1r)*cCos(lat2r))*v)*v)
	return 2.0 * earthRadiusMeters * cAsin(math.Sqrt(a))
}

// lonLatArg is extractLongLatOrReply.
func lonLatArg(a [][]byte) (float64, float64, error) {
	lon, err := argFloat(a[0])
	if err != nil {
		return 0, 0, err
	}
	lat, err := argFloat(a[1])
	if err != nil {
		return 0, 0, err
	}
	if lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		return 0, 0, replyErr("ERR invalid longitude,latitude pair " + strconv.FormatFloat(lon, 'f', 6, 64) + "," + strconv.FormatFloat(lat, 'f', 6, 64))
	}
	return lon, lat, nil
}

func cmdGeoAdd(e *Engine, a [][]byte) error {
	i := 2
	var nx, xx bool
	zargs := [][]byte{[]byte("zadd"), a[1]}
	for ; i < len(a); i++ {
		switch {
		case eq(a[i], "nx"):
			nx = true
		case eq(a[i], "xx"):
			xx = true
		case eq(a[i], "ch"):
		default:
			goto done
		}
		zargs = append(zargs, a[i])
	}
done:
	if (len(a)-i)%3 != 0 || (nx && xx) || len(a) == i {
		return errSyntax
	}
	for ; i < len(a); i += 3 {
		lon, lat, err := lonLatArg(a[i : i+2])
		if err != nil {
			return err
		}
		zargs = append(zargs, strconv.AppendUint(nil, geoEncode(lon, lat), 10), a[i+2])
	}
	return e.zadd(zargs, false)
}

const (
	geoRadiusCoords = iota
	geoRadiusMember
	geoSearchStore
)

var geoUnits = map[string]float64{"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}

func geoUnit(b []byte) (float64, error) {
	for n, v := range geoUnits {
		if eq(b, n) {
			return v, nil
		}
	}
	return 0, replyErr("ERR unsupported unit provided. please use M, KM, FT, MI")
}

type geoShape struct {
	box           bool
	lon, lat      float64
	radius        float64
	width, height float64
	conv          float64
}

// within is geoAppendIfWithinShape's test; it returns the distance.
func (s *geoShape) within(lon, lat float64) (float64, bool) {
	if !s.box {
		d := geoDistance(s.lon, s.lat, lon, lat)
		return d, d <= float64(s.radius*s.conv)
	}
	w, h := float64(s.width*s.conv), float64(s.height*s.conv)
	if geoLatDistance(lat, s.lat) > h/2 {
		return 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > w/2 {
		return 0, false
	}
	return geoDistance(s.lon, s.lat, lon, lat), true
}

func (e *Engine) geoSearch(a [][]byte, kind int) error {
	var src, store []byte
	var shape geoShape
	base := 0
	storedist := false
	z, err := func() (*zsetObj, error) {
		switch kind {
		case geoSearchStore:
			return e.zset(a[2])
		}
		return e.zset(a[1])
	}()
	if err != nil {
		return err
	}
	switch kind {
	case geoRadiusCoords:
		src, base = a[1], 6
		if shape.lon, shape.lat, err = lonLatArg(a[2:4]); err != nil {
			return err
		}
		if err := radiusArgs(a[4:6], &shape); err != nil {
			return err
		}
	case geoRadiusMember:
		src, base = a[1], 5
		if z != nil {
			s, ok := z.score(a[2])
			if !ok {
				return replyErr("ERR could not decode requested zset member")
			}
			shape.lon, shape.lat = geoDecode(uint64(s))
			if err := radiusArgs(a[3:5], &shape); err != nil {
				return err
			}
		}
	case geoSearchStore:
		store, src, base = a[1], a[2], 3
	}
	_ = src
	var from, by bool
	var count int64
	any, sortDir := false, 0
	for i := base; i < len(a); i++ {
		rem := len(a) - i - 1
		switch {
		case eq(a[i], "withdist"), eq(a[i], "withhash"), eq(a[i], "withcoord"):
			if store != nil || kind != geoSearchStore {
				return replyErr("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
			}
			return replyErr("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		case eq(a[i], "any"):
			any = true
		case eq(a[i], "asc"):
			sortDir = 1
		case eq(a[i], "desc"):
			sortDir = -1
		case eq(a[i], "count") && rem >= 1:
			n, err := argInt(a[i+1])
			if err != nil {
				return err
			}
			if n <= 0 {
				return replyErr("ERR COUNT must be > 0")
			}
			count = n
			i++
		case kind != geoSearchStore && (eq(a[i], "store") || eq(a[i], "storedist")) && rem >= 1:
			store, storedist = a[i+1], eq(a[i], "storedist")
			i++
		case kind == geoSearchStore && eq(a[i], "storedist"):
			storedist = true
		case kind == geoSearchStore && eq(a[i], "frommember") && rem >= 1 && !from:
			from = true
			if z != nil {
				s, ok := z.score(a[i+1])
				if !ok {
					return replyErr("ERR could not decode requested zset member")
				}
				shape.lon, shape.lat = geoDecode(uint64(s))
			}
			i++
		case kind == geoSearchStore && eq(a[i], "fromlonlat") && rem >= 2 && !from:
			from = true
			if shape.lon, shape.lat, err = lonLatArg(a[i+1 : i+3]); err != nil {
				return err
			}
			i += 2
		case kind == geoSearchStore && eq(a[i], "byradius") && rem >= 2 && !by:
			by = true
			if err := radiusArgs(a[i+1:i+3], &shape); err != nil {
				return err
			}
			i += 2
		case kind == geoSearchStore && eq(a[i], "bybox") && rem >= 3 && !by:
			by = true
			shape.box = true
			w, ok1 := parseDouble(a[i+1])
			if !ok1 {
				return replyErr("ERR need numeric width")
			}
			h, ok2 := parseDouble(a[i+2])
			if !ok2 {
				return replyErr("ERR need numeric height")
			}
			if w < 0 || h < 0 {
				return replyErr("ERR height or width cannot be negative")
			}
			if shape.conv, err = geoUnit(a[i+3]); err != nil {
				return err
			}
			shape.width, shape.height = w, h
			i += 3
		default:
			return errSyntax
		}
	}
	if kind == geoSearchStore && !from {
		return replyErr("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearchstore")
	}
	if kind == geoSearchStore && !by {
		return replyErr("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearchstore")
	}
	if any && count == 0 {
		return replyErr("ERR the ANY argument requires COUNT argument")
	}
	d := e.cur()
	if z == nil {
		if store != nil {
			d.del(store)
		}
		return nil
	}
	if store == nil {
		return nil // a read: GEORADIUS without STORE
	}
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}
	type pt struct {
		m     []byte
		score float64
		dist  float64
	}
	var pts []pt
	z.each(func(m []byte, s float64) bool {
		if !(s >= 0 && s < 1<<52) {
			return true
		}
		lon, lat := geoDecode(uint64(s))
		if dist, ok := shape.within(lon, lat); ok {
			pts = append(pts, pt{m: m, score: s, dist: dist})
		}
		return true
	})
	if any && int64(len(pts)) > count {
		return unsupported("ANY picks the first matches in geohash-box order")
	}
	switch sortDir {
	case 1:
		sort.SliceStable(pts, func(i, j int) bool { return pts[i].dist < pts[j].dist })
	case -1:
		sort.SliceStable(pts, func(i, j int) bool { return pts[i].dist > pts[j].dist })
	}
	n := len(pts)
	if count != 0 && int64(n) > count {
		n = int(count)
	}
	if n == 0 {
		d.del(store)
		return nil
	}
	ms := make([][]byte, n)
	ss := make([]float64, n)
	for i := 0; i < n; i++ {
		ms[i] = clone(pts[i].m)
		ss[i] = pts[i].score
		if storedist {
			ss[i] = pts[i].dist / shape.conv
		}
	}
	d.put(store, newZSetSized(e.zl, ms, ss), noExpire)
	return nil
}

func radiusArgs(a [][]byte, s *geoShape) error {
	r, ok := parseDouble(a[0])
	if !ok {
		return replyErr("ERR need numeric radius")
	}
	if r < 0 {
		return replyErr("ERR radius cannot be negative")
	}
	conv, err := geoUnit(a[1])
	if err != nil {
		return err
	}
	s.radius, s.conv = r, conv
	return nil
}
