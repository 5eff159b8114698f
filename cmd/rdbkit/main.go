// Command rdbkit inspects and verifies Redis and Valkey persistence files.
package main

import (
	"context"
	"os"

	"github.com/rdbkit/rdbkit/cmd"
)

func main() { os.Exit(cmd.Execute(context.Background(), os.Args[1:], cmd.OSStreams())) }
