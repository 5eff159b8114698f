package rdbfile_test

// summaryTestdata is the directory of the repository's real RDB files.
const summaryTestdata = "../testdata/rdb"
