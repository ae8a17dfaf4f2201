package inflection

import (
	"os"
	"testing"
)

// TestMain checks, before any test uses the rules, that loading the package
// compiled nothing: the change this copy exists for (NOTICE.md).
func TestMain(m *testing.M) {
	if compiledPluralMaps != nil || compiledSingularMaps != nil {
		println("inflection: the rules were compiled before their first use")
		os.Exit(1)
	}
	if Plural("person") != "people" || Singular("people") != "person" {
		println("inflection: the rules compiled on first use do not inflect")
		os.Exit(1)
	}
	os.Exit(m.Run())
}
