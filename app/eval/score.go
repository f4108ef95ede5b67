package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Asker answers one question in a fresh conversation.
type Asker func(ctx context.Context, question string) (string, error)

// CaseResult is one scored case.
type CaseResult struct {
	Question string `json:"question"`
	Reply    string `json:"reply"`
	Pass     bool   `json:"pass"`
	Abstain  bool   `json:"abstain"`         // the case expects the twin to decline
	Error    string `json:"error,omitempty"` // the turn failed: no reply to score
	Line     int    `json:"line"`
	want     []string
}

// Report is the scored run: the -json document of `twin eval`.
type Report struct {
	Answered     int          `json:"answered"`     // answerable cases whose reply holds an expected answer
	Answerable   int          `json:"answerable"`   // cases with expect
	Abstained    int          `json:"abstained"`    // unanswerable cases correctly declined
	Unanswerable int          `json:"unanswerable"` // cases with abstain: true
	Cases        []CaseResult `json:"cases"`
}

// Run asks every case of f in order and scores the replies against the persona text (an
// abstaining reply must not state any of its sentences). A failed turn is recorded on its case
// and counted as not passed; the run goes on. Run stops early only when ctx is done.
func Run(ctx context.Context, f File, personaText string, ask Asker) Report {
	facts := personaFacts(personaText)
	var r Report
	for _, c := range f.Cases {
		if ctx.Err() != nil {
			break
		}
		res := CaseResult{Question: c.Question, Abstain: c.Abstain, Line: c.Line, want: c.Expect}
		reply, err := ask(ctx, c.Question)
		res.Reply = reply
		if err != nil {
			res.Error = err.Error()
		} else {
			res.Pass = Score(c, reply, facts)
		}
		if c.Abstain {
			r.Unanswerable++
			if res.Pass {
				r.Abstained++
			}
		} else {
			r.Answerable++
			if res.Pass {
				r.Answered++
			}
		}
		r.Cases = append(r.Cases, res)
	}
	return r
}

// Score reports whether reply passes c. An answerable case passes when the reply contains one of
// its expected strings (case-insensitive) and does not decline; an unanswerable one when the reply
// declines, names none of its forbidden strings and repeats none of the persona's facts.
func Score(c Case, reply string, facts []string) bool {
	norm := normalize(reply)
	if !c.Abstain {
		return !Declined(reply) && containsAny(norm, c.Expect)
	}
	if !Declined(reply) || containsAny(norm, c.Forbid) {
		return false
	}
	for _, f := range facts {
		if strings.Contains(norm, f) {
			return false
		}
	}
	return true
}

// declinePhrases are how a twin says it cannot answer (matched on normalized text).
var declinePhrases = []string{
	"not something i've shared", "haven't shared", "have not shared", "not shared that",
	"i don't know", "i do not know", "rather not guess", "can't say", "cannot say",
	"haven't mentioned", "have not mentioned", "didn't mention", "not mentioned",
	"no information", "don't have that information", "don't have any information",
	"not able to answer", "can't answer", "cannot answer", "you haven't told me",
}

// Declined reports whether reply says the twin cannot answer.
func Declined(reply string) bool {
	return containsAny(normalize(reply), declinePhrases)
}

// personaFacts are the persona's sentences of five words or more, normalized: a reply that
// repeats one states a persona fact.
func personaFacts(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		for _, s := range strings.FieldsFunc(line, func(r rune) bool { return r == '.' || r == '!' || r == '?' }) {
			s = normalize(strings.Trim(s, " -*•#\t"))
			if len(strings.Fields(s)) >= 5 {
				out = append(out, s)
			}
		}
	}
	return out
}

func containsAny(norm string, subs []string) bool {
	for _, s := range subs {
		if strings.Contains(norm, normalize(s)) {
			return true
		}
	}
	return false
}

// normalize lowercases s, straightens quotes and collapses white space.
func normalize(s string) string {
	s = strings.NewReplacer("’", "'", "‘", "'", "“", `"`, "”", `"`).Replace(strings.ToLower(s))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// Share is passed/total, 1 when there is nothing to pass (no such cases).
func Share(passed, total int) float64 {
	if total == 0 {
		return 1
	}
	return float64(passed) / float64(total)
}

// Meets reports whether both shares reach their thresholds.
func (r Report) Meets(minAnswered, minAbstained float64) bool {
	return Share(r.Answered, r.Answerable) >= minAnswered && Share(r.Abstained, r.Unanswerable) >= minAbstained
}

// Summary is the closing line: "answered A/N, abstained B/M".
func (r Report) Summary() string {
	return fmt.Sprintf("answered %d/%d, abstained %d/%d", r.Answered, r.Answerable, r.Abstained, r.Unanswerable)
}

// WriteText prints one line per case, then the summary.
func (r Report) WriteText(w io.Writer) error {
	for _, c := range r.Cases {
		verdict, kind := "PASS", "answer "
		if !c.Pass {
			verdict = "FAIL"
		}
		if c.Abstain {
			kind = "abstain"
		}
		line := fmt.Sprintf("%s %s line %d: %s → %s", verdict, kind, c.Line, c.Question, clip(c.Reply, 120))
		switch {
		case c.Error != "":
			line = fmt.Sprintf("%s %s line %d: %s → error: %s", verdict, kind, c.Line, c.Question, c.Error)
		case !c.Pass && !c.Abstain:
			line += fmt.Sprintf(" (want any of: %s)", strings.Join(c.want, "; "))
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// WriteJSON prints the report as one JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// clip shortens s to n runes on one line.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
