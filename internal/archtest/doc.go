// Package archtest holds the layer rules of the module as a test: which
// packages may import which. The rules live in rules_test.go and run with
// plain `go test ./...`; ARCHITECTURE.md ("Layer rules") describes them.
//
// The import graph comes from `go list -e -deps -json ./...` run at the
// module root. Each module package's imports, test imports and external test
// imports are checked, so a test file cannot break a layer either.
package archtest
