package llm

import (
	"errors"
	"strings"
	"testing"
)

func TestOutputSeparatesToolRounds(t *testing.T) {
	var b strings.Builder
	o := NewOutput(func(s string) error { b.WriteString(s); return nil })
	o.ToolRoundEnded() // before any text: nothing to separate
	for _, s := range []string{"Let me note that.", ""} {
		if err := o.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	o.ToolRoundEnded()
	if err := o.Write("Done."); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != "Let me note that.\n\nDone." || !o.Started() {
		t.Fatalf("output %q", got)
	}
}

func TestOutputReturnsEmitErrors(t *testing.T) {
	gone := errors.New("client gone")
	o := NewOutput(func(string) error { return gone })
	err := o.Write("hi")
	if got, ok := AsEmitError(err); !ok || got != gone {
		t.Fatalf("AsEmitError(%v) = %v, %v", err, got, ok)
	}
	if _, ok := AsEmitError(errors.New("model failed")); ok {
		t.Fatal("a model error taken for an emit error")
	}
}
