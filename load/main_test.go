package load

import (
	"os"
	"testing"

	"github.com/m365ingest/ingest/internal/pgtest"
)

// TestMain drops the tests' database at the end (see pgtest).
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
