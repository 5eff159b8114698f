// Package convert turns persistence files and their values into other
// representations through the format packages' public APIs: RDB files into
// RDB files of another version or dialect (Convert, with loss policies and
// a Report), and values into their lossless JSON form (JSONValue,
// ValueFromJSON).
package convert
