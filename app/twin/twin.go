// Package twin holds the domain of the digital twin: the nouns (messages, sessions, personas),
// the closed set of error codes, and the small interfaces the chat use case depends on. It imports
// nothing of ours; every adapter (file or S3 store, offline/OpenAI/Bedrock provider, persona source)
// implements an interface declared here.
package twin

import (
	"context"
	"time"
)

// Role is who wrote a message.
type Role string

// The two roles a stored message can have.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// Message is one stored chat message. ID and Status are empty in sessions stored before they
// existed.
type Message struct {
	Role      Role      `json:"role"`
	Content   string    `json:"content"`
	Timestamp time.Time `json:"timestamp"`
	ID        string    `json:"id,omitempty"`
	Status    Status    `json:"status,omitempty"`

	// ReplyTo places a reply when it is appended: right after the message with this id and the
	// replies already following it, so a turn's question and reply stay together even when
	// another turn of the session stored its question in between. Not stored.
	ReplyTo string `json:"-"`
}

// Session is one conversation as stored (docs/decisions/0002).
type Session struct {
	ID        string    `json:"session_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Messages  []Message `json:"messages"`

	// Version is the store's opaque concurrency token for what was read (an S3 ETag, a file's
	// content hash). Empty means "not stored yet". It is never serialized.
	Version string `json:"-"`
}

// Store keeps conversations. Implementations must pass memory/storetest.
type Store interface {
	// Get returns the stored session, or an *Error with code CodeSessionNotFound.
	Get(ctx context.Context, id string) (Session, error)
	// Append atomically adds msgs to the end of session id and returns the stored result. base is
	// the session as the caller last read it (zero Version when it was not found); when the stored
	// copy has moved on, the store re-reads and re-applies msgs, never losing either side. When the
	// result would exceed limit messages it stores nothing and returns CodeSessionFull.
	Append(ctx context.Context, base Session, msgs []Message, limit int) (Session, error)
	// Delete removes session id and every copy of it the store keeps (earlier versions
	// included), so a later Get reports CodeSessionNotFound. It returns CodeSessionNotFound when
	// there is no such session and CodeInvalidSessionID for a malformed id.
	Delete(ctx context.Context, id string) error
}

// Persona is the owner's persona file, parsed.
type Persona struct {
	Name     string   // display name (front matter `name:` or derived)
	Greeting string   // first message shown to a visitor
	Starters []string // suggested first questions
	Text     string   // the persona body (without front matter); always in the system prompt
	Version  string   // content hash or ETag, for caching
}

// PersonaSource loads the current persona (cached by the implementation).
type PersonaSource interface {
	Persona(ctx context.Context) (Persona, error)
}

// Usage is what one generation consumed. InputTokens counts every input token, including those
// read from or written to the model's prompt cache.
type Usage struct {
	InputTokens       int
	OutputTokens      int
	CachedInputTokens int // input tokens read from the prompt cache (billed at the cache-read price)
	CacheWriteTokens  int // input tokens written to the prompt cache (billed at the cache-write price)
}

// Add returns the sum of u and v (the requests of one reply).
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens: u.InputTokens + v.InputTokens, OutputTokens: u.OutputTokens + v.OutputTokens,
		CachedInputTokens: u.CachedInputTokens + v.CachedInputTokens, CacheWriteTokens: u.CacheWriteTokens + v.CacheWriteTokens,
	}
}

// GenerateRequest is everything a provider needs for one reply.
type GenerateRequest struct {
	System string // system prompt: rules + the whole persona; the same bytes every turn (cacheable)
	// Note follows the system prompt: per-turn instructions ("the first N messages are not
	// shown"), kept out of System so its prefix stays cacheable. Often "".
	Note     string
	Messages []Message // history within budget, then the visitor's new message last
	Persona  Persona   // structured persona, for retrieval-based responders

	// Tools the model may call, and CallTool to run them. A provider that supports tools calls
	// CallTool for each call and continues the reply with the results; nil CallTool: no tools.
	Tools    []Tool
	CallTool ToolFunc
}

// Provider generates the twin's reply. Stream calls emit for every text delta in order; it stops
// and returns ctx.Err() when ctx is cancelled. An error returned before the first emit means the
// provider was unavailable (CodeLLMUnavailable); errors from emit are returned as they are.
type Provider interface {
	Name() string  // "offline", "openai", "bedrock" (also gen_ai.system)
	Model() string // model id
	Stream(ctx context.Context, req GenerateRequest, emit func(delta string) error) (Usage, error)
}
