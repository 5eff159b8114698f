package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// versionInfo is the output of "rdbkit version" (also as --json).
type versionInfo struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	Revision string `json:"revision"`
	Time     string `json:"time"`
	Modified bool   `json:"modified"`
}

// readVersion reads the module version and VCS stamp from the binary's
// build information.
func readVersion() versionInfo {
	v := versionInfo{Version: "(devel)", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func newVersionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the rdbkit version",
		Long: `Version prints the rdbkit version, the Go version it was built with and the
VCS revision when the build recorded one (from runtime/debug build info).` + exitStatusHelp +
			`  0    success
  2    usage error`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			v := readVersion()
			if app.JSON {
				return writeJSON(app.IO.Out, v)
			}
			s := "rdbkit " + v.Version + " (" + v.Go
			if v.Revision != "" {
				s += ", " + v.Revision
				if v.Modified {
					s += "+dirty"
				}
			}
			_, err := fmt.Fprintln(app.IO.Out, s+")")
			return err
		},
	}
}
