// Package llm holds what the model providers (llm/openai, llm/bedrock) share: the Driver that
// runs every reply (deadlines, the bounded tool loop, refused tools, the one mapping of failures
// to llm_unavailable), what the model is told of a tool call, and the visitor's side of a reply
// that may span several model requests when the model calls tools.
package llm

import "errors"

// Output writes a reply's text deltas to the visitor across the requests of a tool loop.
type Output struct {
	emit    func(string) error
	started bool // emit was called
	last    byte // last byte emitted
	gap     bool // a tool round ended since the last text: separate what comes next
}

// NewOutput returns an Output writing to emit.
func NewOutput(emit func(string) error) *Output { return &Output{emit: emit} }

// Write emits one text delta; the first text after a tool round starts a new paragraph, so the
// text before and after the tool use does not run together. An error from emit comes back as an
// EmitError.
func (o *Output) Write(text string) error {
	if text == "" {
		return nil
	}
	if o.gap && o.started && !isSpace(o.last) {
		if err := o.emit("\n\n"); err != nil {
			return EmitError{err}
		}
	}
	o.gap = false
	o.started, o.last = true, text[len(text)-1]
	if err := o.emit(text); err != nil {
		return EmitError{err}
	}
	return nil
}

// Started reports whether any text reached the visitor.
func (o *Output) Started() bool { return o.started }

// ToolRoundEnded marks the end of a tool round: the next text starts a new paragraph.
func (o *Output) ToolRoundEnded() { o.gap = true }

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }

// EmitError marks an error returned by the visitor's emit (the client went away), which a
// provider's Stream returns unchanged.
type EmitError struct{ Err error }

func (e EmitError) Error() string { return e.Err.Error() }

func (e EmitError) Unwrap() error { return e.Err }

// AsEmitError returns the emit error in err's chain, if any.
func AsEmitError(err error) (error, bool) {
	var ee EmitError
	if errors.As(err, &ee) {
		return ee.Err, true
	}
	return nil, false
}
