package telemetry_test

import (
	"fmt"

	"github.com/digitaltwin/twin/app/prompt"
	"github.com/digitaltwin/twin/app/telemetry"
	"github.com/digitaltwin/twin/app/twin"
)

// The modelled cost of a 10-turn conversation with a 3,000-token persona on the default staging
// (gpt-4o-mini) and prod (Claude Sonnet 4.6 through Bedrock's EU profile) models, without and
// with the prompt cache (docs/benchmarks.md, "Prompt cache"). Each turn sends the system prompt
// (the rules and the persona), every earlier message and the question; a question is 25 tokens,
// a reply 150, each message framed by 4. With the cache:
//   - Bedrock (one cachePoint after the system prompt): turn 1 writes the system prompt to the
//     cache, turns 2-10 read it; history is billed at the input price.
//   - OpenAI (automatic prefix caching, prompts of 1,024 tokens and more, in 128-token steps):
//     each turn reads the longest 128-token multiple of the previous request, which is a prefix
//     of this one (the system prompt and the history before the last reply).
//
// The conversation is cold: nothing of it is cached before turn 1. On a busy twin turn 1 also
// reads the system prompt another conversation cached.
func Example_conversationCost() {
	const (
		persona, question, reply, framing, turns = 3000, 25, 150, 4, 10
	)
	system := persona + prompt.Tokens(prompt.Rules("Ada Example", prompt.Canary(nil, twin.Persona{Name: "Ada Example"}))) + 20 + framing
	for _, m := range []struct{ label, model string }{
		{"staging", "gpt-4o-mini"},
		{"prod", "eu.anthropic.claude-sonnet-4-6"},
	} {
		var plain, cached float64
		var inputs, hits int
		previous := 0 // the previous request's input tokens
		for k := range turns {
			in := system + k*(question+reply+2*framing) + question + framing
			u := twin.Usage{InputTokens: in, OutputTokens: reply}
			plain += telemetry.DefaultPrices.Estimate(m.model, u)
			switch {
			case m.label == "prod" && k == 0:
				u.CacheWriteTokens = system
			case m.label == "prod":
				u.CachedInputTokens = system
			case previous >= 1024:
				u.CachedInputTokens = previous / 128 * 128
			}
			cached += telemetry.DefaultPrices.Estimate(m.model, u)
			inputs, hits, previous = inputs+in, hits+u.CachedInputTokens, in
		}
		fmt.Printf("%-7s %-31s system %d tokens, input %d tokens: %.5f USD without the cache, %.5f USD with it (-%.0f%%), %.0f%% of input from the cache\n",
			m.label, m.model, system, inputs, plain, cached, 100*(1-cached/plain), 100*float64(hits)/float64(inputs))
	}
	// Output:
	// staging gpt-4o-mini                     system 3312 tokens, input 41645 tokens: 0.00715 USD without the cache, 0.00444 USD with it (-38%), 87% of input from the cache
	// prod    eu.anthropic.claude-sonnet-4-6  system 3312 tokens, input 41645 tokens: 0.14743 USD without the cache, 0.06944 USD with it (-53%), 72% of input from the cache
}
