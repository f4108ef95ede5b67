// Package offline is the default, deterministic responder: no model, no network. It ranks the
// persona's sentences and the visitor's own earlier messages against the question with BM25 and
// answers in the first person from the best matches; when nothing matches well enough it says in
// character that it hasn't shared that. It never invents: every answer is built from persona
// sentences or the visitor's own words. It streams word by word like a real provider.
package offline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/digitaltwin/twin/app/retrieval"
	"github.com/digitaltwin/twin/app/twin"
)

// Responder is the offline provider.
type Responder struct {
	delay time.Duration // pause between streamed words, so a local UI shows streaming

	mu      sync.Mutex
	version string
	persona *retrieval.Index
}

var _ twin.Provider = (*Responder)(nil)

// New returns a responder pausing delay between words (0 for tests and benchmarks).
func New(delay time.Duration) *Responder { return &Responder{delay: delay} }

// Name is the provider's name.
func (r *Responder) Name() string { return "offline" }

// Model names the retrieval algorithm.
func (r *Responder) Model() string { return "bm25-retrieval-v1" }

// Stream answers req word by word.
func (r *Responder) Stream(ctx context.Context, req twin.GenerateRequest, emit func(string) error) (twin.Usage, error) {
	answer := r.Answer(ctx, req)
	chunks := split(answer)
	for i, c := range chunks {
		if err := ctx.Err(); err != nil {
			return twin.Usage{OutputTokens: i}, err
		}
		if r.delay > 0 && i > 0 {
			t := time.NewTimer(r.delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return twin.Usage{OutputTokens: i}, ctx.Err()
			case <-t.C:
			}
		}
		if err := emit(c); err != nil {
			return twin.Usage{OutputTokens: i}, err
		}
	}
	return twin.Usage{OutputTokens: len(chunks)}, nil
}

// split cuts s into words, each keeping its trailing space; concatenated they equal s.
func split(s string) []string {
	var out []string
	start := 0
	for i := 1; i < len(s); i++ {
		if s[i-1] == ' ' && s[i] != ' ' {
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// Answer returns the reply to the last message of req. With req.CallTool set it records leads
// (an email left with consent) and unanswered questions, and says so only when they were stored.
func (r *Responder) Answer(ctx context.Context, req twin.GenerateRequest) string {
	if len(req.Messages) == 0 {
		return req.Persona.Greeting
	}
	question := req.Messages[len(req.Messages)-1].Content
	p := req.Persona
	ws := retrieval.Words(question)
	switch {
	case isGreeting(ws):
		return p.Greeting
	case isIntro(question):
		return intro(p)
	}
	if a, ok := leadReply(ctx, req, question, ws); ok {
		return a
	}

	q := retrieval.ParseQuery(question)
	if q.Empty() && !aboutVisitor(ws) {
		// Only function words ("What do you do?"): the broadest question, so the introduction.
		return intro(p)
	}
	// "I'd like to get in touch" is about the owner's contact details, though it speaks of "I".
	if wantsContact(ws) && !(aboutVisitor(ws) && isQuestion(question, ws)) {
		ix := r.personaIndex(p)
		a := best(ix, q)
		if a == "" {
			a = best(ix, contactQuery)
		}
		if a != "" && req.CallTool != nil {
			a += " " + contactOffer
		}
		if a != "" {
			return a
		}
	}
	if aboutVisitor(ws) {
		if !isQuestion(question, ws) {
			return "Thanks for telling me. I'll remember that for the rest of our conversation."
		}
		if a := bestVisitor(req.Messages, q); a != "" {
			return a
		}
		return "You haven't told me that yet, so I don't know. Tell me and I'll remember it for this conversation."
	}
	ix := r.personaIndex(p)
	if a := best(ix, q); a != "" {
		return a
	}
	if a := bestVisitor(req.Messages, q); a != "" {
		return a
	}
	return recordUnknown(ctx, req, question)
}

// personaIndex returns the persona's sentence index, built once per persona version.
func (r *Responder) personaIndex(p twin.Persona) *retrieval.Index {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.persona == nil || r.version != p.Version || p.Version == "" {
		r.persona, r.version = retrieval.NewIndex(retrieval.Sentences(p.Text)), p.Version
	}
	return r.persona
}

// best joins the persona sentences that answer q (up to two, in persona order), or "". A
// sentence comes with the one before it when part of the question was matched there, and with
// the one after it when that one, not it, holds the kind of thing the question asks for ("I
// work at Tidewater." "I joined in 2019.") or when it is a short fragment of the same line.
func best(ix *retrieval.Index, q retrieval.Query) string {
	hits := retrieval.Answers(ix, q)
	if len(hits) == 0 {
		return ""
	}
	chosen := hits[:1]
	if len(hits) > 1 && hits[1].Score >= 0.6*hits[0].Score {
		chosen = hits[:2]
	}
	var pos []int
	for _, h := range chosen {
		if h.WithPrev {
			pos = append(pos, h.Doc.Prev)
		}
		pos = append(pos, h.Doc.Pos)
		next, ok := ix.Next(h)
		switch {
		case !ok:
		case q.Type != retrieval.AnyType && !h.Typed && next.Holds(q.Type),
			next.Line == h.Doc.Line && len(strings.Fields(h.Doc.Text)) <= 8:
			// The neighbour holds what was asked for, or the sentence is a fragment ("2015–2018
			// UI Designer, Revolut, London.") whose substance follows on its line.
			pos = append(pos, next.Pos)
		}
	}
	slices.Sort(pos)
	var parts []string
	for _, p := range slices.Compact(pos) {
		parts = append(parts, sentence(ix.Doc(p).Text))
	}
	return strings.Join(parts, " ")
}

// sentence ends a persona line that has no closing punctuation (a bullet) with a full stop, so
// that joined lines read as sentences.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "”") || strings.HasSuffix(s, `"`) {
		return s
	}
	return s + "."
}

// bestVisitor answers q from what the visitor said before the last message (indexed only when
// the persona did not answer), quoting them.
func bestVisitor(msgs []twin.Message, q retrieval.Query) string {
	hits := retrieval.Answers(visitorIndex(msgs[:len(msgs)-1]), q)
	if len(hits) == 0 {
		return ""
	}
	return fmt.Sprintf("You told me: “%s”", hits[0].Doc.Text)
}

// visitorIndex indexes the visitor's own earlier messages, newest first so a correction wins ties.
func visitorIndex(history []twin.Message) *retrieval.Index {
	var docs []retrieval.Doc
	for i := len(history) - 1; i >= 0; i-- {
		m := history[i]
		if m.Role != twin.RoleUser {
			continue
		}
		for _, s := range retrieval.SplitSentences(m.Content) {
			docs = append(docs, retrieval.NewDoc(s, "", len(docs)))
		}
	}
	return retrieval.NewIndex(docs)
}

func isGreeting(ws []string) bool {
	if len(ws) == 0 || len(ws) > 4 {
		return false
	}
	switch ws[0] {
	case "hi", "hello", "hey", "hiya", "howdy", "greetings", "yo", "morning", "evening":
		return true
	case "good":
		return len(ws) > 1 && (ws[1] == "morning" || ws[1] == "afternoon" || ws[1] == "evening")
	}
	return false
}

// isQuestion: a question mark, or a question word or request first.
func isQuestion(q string, ws []string) bool {
	if strings.Contains(q, "?") {
		return true
	}
	if len(ws) == 0 {
		return false
	}
	switch ws[0] {
	case "what", "whats", "where", "who", "whom", "when", "why", "how", "which", "do", "does", "did",
		"is", "are", "was", "were", "can", "could", "would", "will", "should", "tell", "remind", "say":
		return true
	}
	return false
}

func isIntro(q string) bool {
	q = strings.Trim(strings.ToLower(strings.TrimSpace(q)), "?!. ")
	switch q {
	case "what are you", "who is this", "who am i talking to", "who am i speaking with":
		return true
	}
	padded := " " + strings.Join(retrieval.Words(q), " ") + " "
	for _, p := range []string{"who are you", "who re you", "about yourself", "introduce yourself"} {
		if strings.Contains(padded, " "+p+" ") { // "who are your clients?" is not
			return true
		}
	}
	return false
}

// aboutVisitor: the question is about the visitor ("what is my name?"), not the owner. "How do I
// book?" and "Where can I find you?" ask the owner how, so they are not.
func aboutVisitor(ws []string) bool {
	if len(ws) > 2 && (ws[0] == "how" || ws[0] == "where" || ws[0] == "when") && (ws[1] == "do" || ws[1] == "can" || ws[1] == "could" || ws[1] == "should") && ws[2] == "i" {
		return false
	}
	self, other := false, false
	for _, w := range ws {
		switch w {
		case "my", "i", "me", "mine", "myself":
			self = true
		case "you", "your", "yours", "yourself":
			other = true
		}
	}
	return self && !other
}

func intro(p twin.Persona) string {
	ss := retrieval.Sentences(p.Text)
	var parts []string
	for _, s := range ss {
		if len(parts) == 2 {
			break
		}
		parts = append(parts, s.Text)
	}
	if len(parts) == 0 {
		return p.Greeting
	}
	return strings.Join(parts, " ")
}

// unknown is the in-character decline, naming up to three of the persona's sections (not its
// title: the name on a CV's or a Markdown file's first line).
func unknown(p twin.Persona) string {
	var topics []string
	title := strings.TrimSpace(strings.TrimLeft(strings.SplitN(strings.TrimSpace(p.Text), "\n", 2)[0], "# "))
	for _, s := range retrieval.Sections(p.Text) {
		if s != p.Name && s != title {
			topics = append(topics, s)
		}
	}
	if len(topics) > 3 {
		topics = topics[:3]
	}
	msg := "That's not something I've shared here, so I'd rather not guess."
	if len(topics) > 0 {
		msg += " Ask me about " + strings.ToLower(strings.Join(topics, ", ")) + " instead."
	}
	return msg
}
