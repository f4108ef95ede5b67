package memstore

import (
	"testing"

	"github.com/digitaltwin/twin/app/memory/storetest"
	"github.com/digitaltwin/twin/app/twin"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) twin.Store { return New() })
}
