package telemetry

import "strings"

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	InputPerMTok  float64
	OutputPerMTok float64
}

// PriceTable maps a model id prefix to its price. Lookups strip a Bedrock cross-region
// inference-profile prefix ("us.", "eu.", "apac.", "global.") and use the longest matching
// prefix, so dated ids ("gpt-4o-mini-2024-07-18", "anthropic.claude-3-5-haiku-20241022-v1:0")
// find their family. An unknown model costs 0: the estimate is a guide, not a bill.
type PriceTable map[string]Price

// DefaultPrices are list prices (on-demand, USD per 1M tokens) as published in 2025-2026.
// The offline responder is free.
var DefaultPrices = PriceTable{
	"offline": {0, 0},
	// OpenAI
	"gpt-4o":       {2.50, 10.00},
	"gpt-4o-mini":  {0.15, 0.60},
	"gpt-4.1":      {2.00, 8.00},
	"gpt-4.1-mini": {0.40, 1.60},
	"gpt-4.1-nano": {0.10, 0.40},
	"gpt-5":        {1.25, 10.00},
	"gpt-5-mini":   {0.25, 2.00},
	"gpt-5-nano":   {0.05, 0.40},
	"o4-mini":      {1.10, 4.40},
	// Bedrock
	"anthropic.claude-3-haiku":    {0.25, 1.25},
	"anthropic.claude-3-5-haiku":  {0.80, 4.00},
	"anthropic.claude-haiku-4-5":  {1.00, 5.00},
	"anthropic.claude-3-5-sonnet": {3.00, 15.00},
	"anthropic.claude-3-7-sonnet": {3.00, 15.00},
	"anthropic.claude-sonnet-4":   {3.00, 15.00},
	"amazon.nova-micro":           {0.035, 0.14},
	"amazon.nova-lite":            {0.06, 0.24},
	"amazon.nova-pro":             {0.80, 3.20},
	"meta.llama3-1-8b-instruct":   {0.22, 0.22},
	"meta.llama3-1-70b-instruct":  {0.72, 0.72},
	"mistral.mistral-small":       {1.00, 3.00},
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

// Estimate returns the cost in US dollars of a generation with model.
func (p PriceTable) Estimate(model string, inputTokens, outputTokens int) float64 {
	price, ok := p.Lookup(model)
	if !ok {
		return 0
	}
	return (float64(inputTokens)*price.InputPerMTok + float64(outputTokens)*price.OutputPerMTok) / 1e6
}
