package timeparse

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2030-01-02T03:04:05Z", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2030-01-02T05:04:05+02:00", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2030-01-02T03:04:05.25Z", time.Date(2030, 1, 2, 3, 4, 5, 250e6, time.UTC)},
		{" 1700000000 ", time.Unix(1700000000, 0).UTC()},
		{"1700000000123", time.UnixMilli(1700000000123).UTC()},
		{"99999999999", time.Unix(99999999999, 0).UTC()},
		{"0", time.Unix(0, 0).UTC()},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for in, want := range map[string]error{"yesterday": ErrSyntax, "-5": ErrNegative, "2030-01-02": ErrSyntax, "": ErrSyntax, "1.5": ErrSyntax} {
		if _, err := Parse(in); !errors.Is(err, want) {
			t.Errorf("Parse(%q) error = %v, want %v", in, err, want)
		}
	}
}

func TestUnixSecondsRoundsDown(t *testing.T) {
	for in, want := range map[string]int64{"1700000000999": 1700000000, "2023-11-14T22:13:20.9Z": 1700000000, "1700000000": 1700000000} {
		if got, err := UnixSeconds(in); err != nil || got != want {
			t.Errorf("UnixSeconds(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}
