package offline

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"unicode"

	"github.com/digitaltwin/twin/app/retrieval"
	"github.com/digitaltwin/twin/app/twin"
)

var (
	emailPattern       = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	strayPunctuation   = regexp.MustCompile(`[\s,;:]+([.!?])`)
	visitorNamePattern = regexp.MustCompile(`\b(?i:my name is|i am|i'm|this is)\s+([A-Z][\p{L}'-]+(?:\s+[A-Z][\p{L}'-]+)?)`)
)

// contactQuery finds the persona's own contact details: a sentence holding an address, a
// number or a link meets it even when the persona never writes "email" or "contact".
var contactQuery = retrieval.ParseQuery("email")

// contactOffer ends the reply to a contact request when lead capture is on; a visitor's email
// after it is their consent.
const contactOffer = "If you'd like me to pass your details on, leave your email address here."

// wantsContact: the visitor asks to get in touch.
func wantsContact(ws []string) bool {
	for i, w := range ws {
		switch w {
		case "contact", "touch", "reach", "hire", "connect", "email", "e", "mail", "meet", "call":
			if w == "e" && (i+1 >= len(ws) || ws[i+1] != "mail") {
				continue
			}
			return true
		}
	}
	return false
}

// leadReply handles a visitor leaving an email: with consent (they asked to be put in touch, or
// answered the twin's offer) it records the lead and says so only if it was stored.
func leadReply(ctx context.Context, req twin.GenerateRequest, question string, ws []string) (string, bool) {
	if req.CallTool == nil || !strings.Contains(question, "@") {
		return "", false
	}
	email := emailPattern.FindString(question)
	if email == "" {
		return "", false
	}
	if !wantsContact(ws) && !offered(req.Messages) {
		return "", false
	}
	args := map[string]string{"email": email, "note": note(question, email)}
	if name := visitorName(req.Messages); name != "" {
		args["name"] = name
	}
	raw, _ := json.Marshal(args)
	owner := firstName(req.Persona.Name)
	if _, err := req.CallTool(ctx, twin.ToolCall{Name: twin.ToolRecordContact, Arguments: raw}); err != nil {
		return "Sorry, I couldn't save your details just now. " + contactFallback(req.Persona), true
	}
	return "Thank you! I've saved your email address (" + email + ") for " + owner + ", who will get back to you.", true
}

// offered: the twin's last reply invited the visitor to leave an email.
func offered(msgs []twin.Message) bool {
	for i := len(msgs) - 2; i >= 0; i-- {
		if msgs[i].Role == twin.RoleAssistant {
			return strings.Contains(msgs[i].Content, contactOffer)
		}
	}
	return false
}

// visitorName finds the name the visitor gave, newest first.
func visitorName(msgs []twin.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != twin.RoleUser {
			continue
		}
		if m := visitorNamePattern.FindStringSubmatch(msgs[i].Content); m != nil {
			return m[1]
		}
	}
	return ""
}

// note is the visitor's message without the address, as context for the owner ("" when
// nothing but punctuation is left).
func note(question, email string) string {
	n := strings.Join(strings.Fields(strings.ReplaceAll(question, email, "")), " ")
	n = strayPunctuation.ReplaceAllString(n, "$1") // "Sure: . We're hiring" → "Sure. We're hiring"
	n = strings.Trim(n, " ,.;:!?-–—")
	if !strings.ContainsFunc(n, unicode.IsLetter) {
		return ""
	}
	if r := []rune(n); len(r) > 300 {
		n = string(r[:300])
	}
	return n
}

// recordUnknown notes a question the persona could not answer; it says so only if stored.
func recordUnknown(ctx context.Context, req twin.GenerateRequest, question string) string {
	answer := unknown(req.Persona)
	if req.CallTool == nil {
		return answer
	}
	raw, _ := json.Marshal(map[string]string{"question": question})
	if _, err := req.CallTool(ctx, twin.ToolCall{Name: twin.ToolRecordUnknownQuestion, Arguments: raw}); err != nil {
		return answer
	}
	return answer + " I've noted your question for " + firstName(req.Persona.Name) + "."
}

// contactFallback is the persona's own contact sentence, or a neutral line.
func contactFallback(p twin.Persona) string {
	if a := best(retrieval.NewIndex(retrieval.Sentences(p.Text)), contactQuery); a != "" {
		return a
	}
	return "Please try again in a moment."
}

func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 && name != "me" {
		return f[0]
	}
	return "the owner"
}
