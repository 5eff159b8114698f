package manifest

import (
	"os"
	"strings"
)

// ConfigDirectives calls fn with each directive of the redis.conf or
// valkey.conf at path, in file order: its 1-based line number and its
// arguments (argv[0] the name, as written), split with the server's rules
// (SplitArgs). Blank lines, comments and lines SplitArgs refuses are
// skipped; "include" lines are not followed. fn's error stops the reading
// and is returned. This is the one reader of configuration files: the
// directives each caller wants are its own business.
func ConfigDirectives(path string, fn func(line int, argv []string) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for i, ln := range strings.Split(string(data), "\n") {
		ln = strings.Trim(ln, " \t\r\n")
		if ln == "" || ln[0] == '#' {
			continue
		}
		argv, ok := SplitArgs(ln)
		if !ok || len(argv) == 0 {
			continue
		}
		if err := fn(i+1, argv); err != nil {
			return err
		}
	}
	return nil
}

// ReadConfigValue returns the value of directive name (case-insensitive) in
// the redis.conf or valkey.conf at path: the arguments of its last
// occurrence joined by single spaces, as the server's config loader keeps
// the last one. found is false when the file does not set it. "include"
// lines are not followed.
func ReadConfigValue(path, name string) (value string, found bool, err error) {
	err = ConfigDirectives(path, func(_ int, argv []string) error {
		if strings.EqualFold(argv[0], name) {
			value, found = strings.Join(argv[1:], " "), true
		}
		return nil
	})
	if err != nil {
		return "", false, err
	}
	return value, found, nil
}
