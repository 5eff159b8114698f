module github.com/rdbkit/rdbkit

go 1.26
