package store

import (
	"testing"

	"go.uber.org/goleak"
)

// Every writer goroutine has an owner that waits for it: none may outlive
// the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
