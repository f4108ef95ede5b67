package chat

import (
	"sync/atomic"

	"github.com/digitaltwin/twin/app/retrieval"
	"github.com/digitaltwin/twin/app/twin"
)

// topicIndex is the persona's sentence index for one persona version.
type topicIndex struct {
	version string
	ix      *retrieval.Index
}

// topics caches the index of the current persona across turns.
var topics atomic.Pointer[topicIndex]

// topic names the persona section a question is about, for the summary line: the owner's
// dashboard counts what visitors ask about without any message text in the logs.
func (s *Service) topic(p twin.Persona, question string) string {
	c := topics.Load()
	if c == nil || c.version != p.Version || p.Version == "" {
		c = &topicIndex{version: p.Version, ix: retrieval.NewIndex(retrieval.Sentences(p.Text))}
		topics.Store(c)
	}
	return retrieval.Topic(c.ix, question)
}
