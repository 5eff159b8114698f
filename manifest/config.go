package manifest

import (
	"os"
	"strings"
)

// ReadConfigValue returns the value of directive name (case-insensitive) in
// the redis.conf or valkey.conf at path: the arguments of its last
// occurrence joined by single spaces, as the server's config loader keeps
// the last one. found is false when the file does not set it. "include"
// lines are not followed.
func ReadConfigValue(path, name string) (value string, found bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", false, err
	}
	for _, ln := range strings.Split(string(data), "\n") {
		ln = strings.Trim(ln, " \t\r\n")
		if ln == "" || ln[0] == '#' {
			continue
		}
		argv, ok := SplitArgs(ln)
		if !ok || len(argv) == 0 || !strings.EqualFold(argv[0], name) {
			continue
		}
		value, found = strings.Join(argv[1:], " "), true
	}
	return value, found, nil
}
