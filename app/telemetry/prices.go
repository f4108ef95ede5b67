package telemetry

import (
	"strings"

	"github.com/digitaltwin/twin/app/twin"
)

// Price is what a model costs, in US dollars per million tokens. Input tokens read from the
// model's prompt cache cost CacheReadPerMTok, those written to it CacheWritePerMTok; a model
// without prompt caching has both equal to InputPerMTok.
type Price struct {
	InputPerMTok      float64
	OutputPerMTok     float64
	CacheReadPerMTok  float64
	CacheWritePerMTok float64
}

// PriceTable maps a model id prefix to its price. Lookups strip a Bedrock cross-region
// inference-profile prefix ("us.", "eu.", "apac.", "global.") and use the longest matching
// prefix, so dated ids ("gpt-4o-mini-2024-07-18", "anthropic.claude-3-5-haiku-20241022-v1:0")
// find their family. An unknown model costs 0: the estimate is a guide, not a bill.
type PriceTable map[string]Price

// DefaultPrices are list prices (on-demand, USD per 1M tokens: input, output, cache read, cache
// write) as published in 2025-2026: OpenAI's API pricing page (cached input is the cache read;
// OpenAI charges nothing extra to write its cache), and Amazon Bedrock's pricing page (Anthropic
// Claude: a cache write costs 1.25× and a read 0.1× the input price; Amazon Nova: a read 0.25×,
// writes at the input price; models without prompt caching bill every input token alike). Bedrock's
// regional (geo) inference profiles may carry a premium over these: docs/benchmarks.md, "Prompt
// cache". The offline responder is free.
var DefaultPrices = PriceTable{
	"offline": {0, 0, 0, 0},
	// OpenAI
	"gpt-4o":       {2.50, 10.00, 1.25, 2.50},
	"gpt-4o-mini":  {0.15, 0.60, 0.075, 0.15},
	"gpt-4.1":      {2.00, 8.00, 0.50, 2.00},
	"gpt-4.1-mini": {0.40, 1.60, 0.10, 0.40},
	"gpt-4.1-nano": {0.10, 0.40, 0.025, 0.10},
	"gpt-5":        {1.25, 10.00, 0.125, 1.25},
	"gpt-5-mini":   {0.25, 2.00, 0.025, 0.25},
	"gpt-5-nano":   {0.05, 0.40, 0.005, 0.05},
	"o4-mini":      {1.10, 4.40, 0.275, 1.10},
	// Bedrock
	"anthropic.claude-3-haiku":    {0.25, 1.25, 0.25, 0.25},
	"anthropic.claude-3-5-haiku":  {0.80, 4.00, 0.08, 1.00},
	"anthropic.claude-haiku-4-5":  {1.00, 5.00, 0.10, 1.25},
	"anthropic.claude-3-5-sonnet": {3.00, 15.00, 3.00, 3.00},
	"anthropic.claude-3-7-sonnet": {3.00, 15.00, 0.30, 3.75},
	"anthropic.claude-sonnet-4":   {3.00, 15.00, 0.30, 3.75},
	"amazon.nova-micro":           {0.035, 0.14, 0.00875, 0.035},
	"amazon.nova-lite":            {0.06, 0.24, 0.015, 0.06},
	"amazon.nova-pro":             {0.80, 3.20, 0.20, 0.80},
	"meta.llama3-1-8b-instruct":   {0.22, 0.22, 0.22, 0.22},
	"meta.llama3-1-70b-instruct":  {0.72, 0.72, 0.72, 0.72},
	"mistral.mistral-small":       {1.00, 3.00, 1.00, 1.00},
}

var inferenceProfilePrefixes = []string{"us.", "eu.", "apac.", "global.", "us-gov."}

// Lookup returns the price of model and whether it is known.
func (p PriceTable) Lookup(model string) (Price, bool) {
	m := strings.ToLower(model)
	for _, pre := range inferenceProfilePrefixes {
		if strings.HasPrefix(m, pre) {
			m = m[len(pre):]
			break
		}
	}
	best, found := "", false
	for k := range p {
		if strings.HasPrefix(m, k) && len(k) > len(best) {
			best, found = k, true
		}
	}
	if !found {
		return Price{}, false
	}
	return p[best], true
}

// Estimate returns the cost in US dollars of a generation with model: the input tokens neither
// read from nor written to the prompt cache at the input price, the cached ones at the cache
// prices, and the output.
func (p PriceTable) Estimate(model string, u twin.Usage) float64 {
	price, ok := p.Lookup(model)
	if !ok {
		return 0
	}
	plain := max(u.InputTokens-u.CachedInputTokens-u.CacheWriteTokens, 0)
	return (float64(plain)*price.InputPerMTok + float64(u.CachedInputTokens)*price.CacheReadPerMTok +
		float64(u.CacheWriteTokens)*price.CacheWritePerMTok + float64(u.OutputTokens)*price.OutputPerMTok) / 1e6
}
