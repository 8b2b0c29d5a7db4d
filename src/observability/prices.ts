/**
 * List prices in US dollars, as published by OpenAI on the date below. They change: override
 * or add models with the `prices` setting (config file or ASSISTANT_PRICES). A model that is
 * in neither place shows its tokens and "price unknown", never a guess.
 */
export const PRICES_AS_OF = '2025-06-01';

export interface Price {
  /** Dollars per million input tokens. */
  input?: number;
  /** Dollars per million output tokens. */
  output?: number;
  /** Dollars per minute of audio transcribed. */
  perMinute?: number;
  /** Dollars per million characters synthesized. */
  perMillionCharacters?: number;
}

export const PRICES: Record<string, Price> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4o-mini-transcribe': { perMinute: 0.003 },
  'gpt-4o-transcribe': { perMinute: 0.006 },
  'whisper-1': { perMinute: 0.006 },
  // gpt-4o-mini-tts (the default voice model) is listed per token ($0.60 per 1M text tokens in,
  // $12 per 1M audio tokens out), which OpenAI estimates at $0.015 per minute of speech. The log
  // records the characters synthesized, so that estimate is converted: a minute of speech is
  // about 150 words of ~5.7 characters with their spaces, ~855 characters, so $0.015 / 855
  // characters is ~$17.5 per million characters. An estimate: set "prices" for exact accounting.
  'gpt-4o-mini-tts': { perMillionCharacters: 17.5 },
  'tts-1': { perMillionCharacters: 15 },
  'tts-1-hd': { perMillionCharacters: 30 },
};

export interface Usage {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  audioSeconds?: number | undefined;
  characters?: number | undefined;
}

/** The cost of one request in dollars, or undefined when the model's price (for what it used) is unknown. */
export function costOf(price: Price | undefined, usage: Usage): number | undefined {
  if (!price) return undefined;
  let cost = 0;
  let priced = false;
  if (usage.inputTokens !== undefined || usage.outputTokens !== undefined) {
    if (price.input === undefined && price.output === undefined) return undefined;
    cost += ((usage.inputTokens ?? 0) * (price.input ?? 0) + (usage.outputTokens ?? 0) * (price.output ?? 0)) / 1_000_000;
    priced = true;
  }
  if (usage.audioSeconds !== undefined) {
    if (price.perMinute === undefined) return undefined;
    cost += (usage.audioSeconds / 60) * price.perMinute;
    priced = true;
  }
  if (usage.characters !== undefined) {
    if (price.perMillionCharacters === undefined) return undefined;
    cost += (usage.characters / 1_000_000) * price.perMillionCharacters;
    priced = true;
  }
  return priced ? cost : 0;
}
