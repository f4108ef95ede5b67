package persona

import (
	"context"

	"github.com/digitaltwin/twin/app/twin"
)

// StaticSource is a persona fixed at start, such as the example persona embedded in the `twin`
// binary (used when no persona file is on disk).
type StaticSource struct {
	p   twin.Persona
	err error
}

var _ twin.PersonaSource = (*StaticSource)(nil)

// NewStaticSource parses data once; a persona that does not parse makes every call fail the
// same way (persona_unavailable).
func NewStaticSource(data []byte) *StaticSource {
	p, err := Parse(data)
	return &StaticSource{p: p, err: err}
}

// Persona returns the parsed persona.
func (s *StaticSource) Persona(context.Context) (twin.Persona, error) { return s.p, s.err }
