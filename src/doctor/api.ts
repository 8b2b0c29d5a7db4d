/**
 * The API check: the chat server answers GET /models, accepts the key, and lists the models
 * this configuration chooses (chat, speech-to-text, text-to-speech, each on the server it is
 * sent to). One request per distinct server.
 */
import { ok, problem, warning, type CheckResult } from './check.js';
import { keyFix, request, shownUrl, type Endpoint, type Fetch } from './http.js';

export interface ChosenModel {
  /** "chat", "stt" or "tts". */
  use: string;
  model: string;
  endpoint: Endpoint;
}

type Listing = { models: string[] } | { unlisted: string } | { failed: CheckResult };

export async function checkApi(fetch: Fetch, chat: Endpoint, chosen: readonly ChosenModel[], signal: AbortSignal): Promise<CheckResult[]> {
  const listings = new Map<string, Listing>();
  const listingOf = async (endpoint: Endpoint): Promise<Listing> => {
    const known = listings.get(endpoint.baseURL);
    if (known) return known;
    const listing = await listModels(fetch, endpoint, signal);
    listings.set(endpoint.baseURL, listing);
    return listing;
  };
  const chatListing = await listingOf(chat);
  if ('failed' in chatListing) return [chatListing.failed];
  // Without a model list (404) the key was not put to the test: the speech checks still do.
  const keyWord = 'unlisted' in chatListing ? '' : chat.apiKey ? ' and accepts the key' : ' (no key set)';
  const results: CheckResult[] = [ok('api', `${shownUrl(chat.baseURL)} answers${keyWord}`)];
  for (const { use, model, endpoint } of chosen) {
    const listing = await listingOf(endpoint);
    const where = shownUrl(endpoint.baseURL);
    if ('failed' in listing) results.push({ ...listing.failed, name: `${use} model` });
    else if ('unlisted' in listing) results.push(warning(`${use} model`, `${model}: ${where} ${listing.unlisted}`, 'check the model name with the server\'s documentation'));
    else if (listing.models.includes(model)) results.push(ok(`${use} model`, `${model} is listed by ${where}`));
    else results.push(warning(`${use} model`, `${model} is not listed by ${where}`, `choose one it lists (${sample(listing.models)}) with ${flagOf(use)}`));
  }
  return results;
}

async function listModels(fetch: Fetch, endpoint: Endpoint, signal: AbortSignal): Promise<Listing> {
  const where = shownUrl(endpoint.baseURL);
  const outcome = await request(fetch, endpoint, '/models', { method: 'GET', signal });
  if (outcome.kind === 'unreachable') {
    return { failed: problem('api', `cannot reach ${where} (${outcome.reason})`, 'start the server, or check OPENAI_BASE_URL (and the speech servers\' ASSISTANT_STT_BASE_URL / ASSISTANT_TTS_BASE_URL)') };
  }
  if (outcome.status === 401 || outcome.status === 403) return { failed: problem('api', `${where} refused the key (HTTP ${outcome.status})`, keyFix(endpoint.apiKey)) };
  if (outcome.status === 404) return { unlisted: 'does not list its models (HTTP 404 for /models)' };
  if (outcome.status < 200 || outcome.status >= 300) return { failed: problem('api', `${where} answered HTTP ${outcome.status} to GET /models`, 'check the server\'s logs and OPENAI_BASE_URL') };
  try {
    const body = JSON.parse(new TextDecoder().decode(outcome.body)) as { data?: Array<{ id?: unknown }> };
    return { models: (body.data ?? []).map((entry) => String(entry.id)) };
  } catch {
    return { unlisted: 'answered /models with something that is not a model list' };
  }
}

function flagOf(use: string): string {
  if (use === 'chat') return '--model or ASSISTANT_MODEL';
  if (use === 'stt') return '--stt-model or ASSISTANT_STT_MODEL';
  return '--tts-model or ASSISTANT_TTS_MODEL';
}

/** A few names from a model list, for the advice. */
function sample(models: readonly string[]): string {
  if (models.length === 0) return 'it lists none';
  return models.length > 5 ? `${models.slice(0, 5).join(', ')} …` : models.join(', ');
}
