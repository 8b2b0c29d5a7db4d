/**
 * The page's entry: the token (session storage only: never in a URL, never logged), the
 * buttons and keys (hold Talk or the space bar to speak, Enter to send, Escape to stop),
 * hands-free mode and the side list of conversations, wired to the Conversation.
 */
import { Api, ApiError, type SpeechSettings } from './api.js';
import { Conversation } from './conversation.js';
import { HandsFree } from './hands-free.js';
import { CAPTURE_RATE, Microphone } from './microphone.js';
import { SessionsPanel } from './sessions-panel.js';
import { TranscriptView } from './transcript-view.js';

const TOKEN_KEY = 'assistant-token';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
}

const speech = JSON.parse(meta('assistant-speech') || 'null') as SpeechSettings | null;
const tokenForm = element<HTMLFormElement>('token-form');
const tokenInput = element<HTMLInputElement>('token');
const errorLine = element<HTMLParagraphElement>('error');
const statusLine = element<HTMLParagraphElement>('status');
const question = element<HTMLTextAreaElement>('question');
const talk = element<HTMLButtonElement>('talk');
const stop = element<HTMLButtonElement>('stop');
const handsFreeBox = element<HTMLInputElement>('hands-free');
const sessionsAside = element<HTMLElement>('sessions');
const toggleSessions = element<HTMLButtonElement>('toggle-sessions');

const api = new Api(() => sessionStorage.getItem(TOKEN_KEY) ?? undefined);
const view = new TranscriptView(element<HTMLOListElement>('transcript'));

function showError(error: unknown): void {
  const message = error instanceof ApiError ? error.message : `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
  errorLine.textContent = message;
  errorLine.hidden = false;
  if (error instanceof ApiError && error.kind === 'token') askForToken();
}

function clearError(): void {
  errorLine.hidden = true;
  errorLine.textContent = '';
}

const conversation = new Conversation(api, view, speech, element<HTMLAudioElement>('player'), {
  status: (text, busy) => {
    statusLine.textContent = text;
    stop.disabled = !busy;
  },
  error: showError,
  session: (id) => {
    panel.setCurrent(id);
    // A new conversation shows in the list at once.
    void panel.refresh().catch(() => {});
  },
  stored: () => void panel.refresh().catch(() => {}),
});

const panel = new SessionsPanel(element<HTMLUListElement>('session-list'), api, {
  open: (id) => void openSession(id),
  deleted: (id) => {
    if (conversation.session === id) startNew();
  },
  failed: showError,
});

async function openSession(id: string): Promise<void> {
  conversation.stop();
  clearError();
  try {
    const session = await api.session(id);
    view.clear();
    for (const message of session.messages) {
      if (message.role === 'user') view.user(message.content);
      else if (message.role === 'assistant') view.assistant(message.content, message.status === 'interrupted');
    }
    conversation.session = session.id;
    panel.setCurrent(session.id);
    showSessions(false);
  } catch (error) {
    showError(error);
  }
}

function startNew(): void {
  conversation.stop();
  conversation.session = undefined;
  view.clear();
  panel.setCurrent(undefined);
  question.focus();
}

function askForToken(): void {
  tokenForm.hidden = false;
  tokenInput.focus();
}

function showSessions(open: boolean): void {
  sessionsAside.classList.toggle('open', open);
  toggleSessions.setAttribute('aria-expanded', String(open));
}

// ---- the token ----
tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  tokenInput.value = '';
  clearError();
  panel.refresh().then(() => {
    tokenForm.hidden = true;
    question.focus();
  }, showError);
});
element<HTMLButtonElement>('forget-token').addEventListener('click', () => {
  conversation.stop();
  sessionStorage.removeItem(TOKEN_KEY);
  view.clear();
  panel.setCurrent(undefined);
  element<HTMLUListElement>('session-list').replaceChildren();
  askForToken();
});

// ---- typing ----
element<HTMLFormElement>('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text) return;
  question.value = '';
  clearError();
  void conversation.typed(text);
});
question.addEventListener('keydown', (event) => {
  // Enter sends, Shift+Enter is a new line.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    element<HTMLFormElement>('composer').requestSubmit();
  }
});

// ---- speaking: hold the button or the space bar ----
const microphone = new Microphone(meta('assistant-worklet'));
let recording: Int16Array[] | undefined;
const handsFree = new HandsFree(microphone, {
  utterance: (samples) => void conversation.spoken(samples, CAPTURE_RATE),
  // Barge-in: the browser cancels the answer's echo, so a voice heard now is the person's.
  speechStart: () => {
    if (conversation.busy) conversation.stop();
    statusLine.textContent = 'Listening…';
  },
});
microphone.onSamples = (samples) => {
  if (recording) recording.push(samples);
  else if (handsFreeBox.checked) handsFree.push(samples);
};

async function startRecording(): Promise<void> {
  if (recording || !speech) return;
  conversation.stop();
  clearError();
  recording = [];
  talk.setAttribute('aria-pressed', 'true');
  talk.textContent = 'Listening… release to send';
  try {
    await microphone.start();
  } catch (error) {
    recording = undefined;
    resetTalk();
    showError(error);
  }
}

function finishRecording(): void {
  const chunks = recording;
  recording = undefined;
  resetTalk();
  if (!chunks) return;
  const samples = new Int16Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    samples.set(chunk, offset);
    offset += chunk.length;
  }
  // Under a quarter of a second is a tap, not speech.
  if (samples.length < CAPTURE_RATE / 4) return void (statusLine.textContent = 'Hold the button (or the space bar) while you speak.');
  void conversation.spoken(samples, CAPTURE_RATE);
}

function resetTalk(): void {
  talk.setAttribute('aria-pressed', 'false');
  talk.textContent = 'Hold to talk';
}

talk.addEventListener('pointerdown', (event) => {
  talk.setPointerCapture(event.pointerId);
  void startRecording();
});
talk.addEventListener('pointerup', finishRecording);
talk.addEventListener('pointercancel', finishRecording);
// Keyboard users: Enter or Space on the focused button toggles instead of holding.
talk.addEventListener('click', (event) => {
  if (event.detail !== 0) return;
  if (recording) finishRecording();
  else void startRecording();
});

function typingInto(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLButtonElement;
}
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') {
    conversation.stop();
    if (recording) {
      recording = undefined;
      resetTalk();
    }
    return;
  }
  if (event.code === 'Space' && !event.repeat && !typingInto(event.target)) {
    event.preventDefault();
    void startRecording();
  }
});
document.addEventListener('keyup', (event) => {
  if (event.code === 'Space' && !typingInto(event.target) && recording) {
    event.preventDefault();
    finishRecording();
  }
});

stop.addEventListener('click', () => conversation.stop());
// Push-to-talk keeps the microphone open between presses; a tab put away lets go of it.
document.addEventListener('visibilitychange', () => {
  if (document.hidden && !handsFreeBox.checked && !recording) microphone.close();
});

handsFreeBox.addEventListener('change', () => {
  if (!handsFreeBox.checked) return handsFree.stop();
  clearError();
  handsFree.start().then(
    () => (statusLine.textContent = 'Hands-free: speak any time; a pause ends your turn.'),
    (error: unknown) => {
      handsFreeBox.checked = false;
      showError(error);
    },
  );
});

// ---- conversations ----
element<HTMLButtonElement>('new-session').addEventListener('click', startNew);
toggleSessions.addEventListener('click', () => showSessions(!sessionsAside.classList.contains('open')));
let searchTimer: number | undefined;
element<HTMLInputElement>('search').addEventListener('input', (event) => {
  window.clearTimeout(searchTimer);
  const text = (event.target as HTMLInputElement).value;
  searchTimer = window.setTimeout(() => void panel.refresh(text).catch(showError), 250);
});
element<HTMLFormElement>('search-form').addEventListener('submit', (event) => event.preventDefault());

// ---- start ----
if (!speech) {
  talk.disabled = true;
  handsFreeBox.disabled = true;
  talk.textContent = 'Voice is off on this server';
}
if (sessionStorage.getItem(TOKEN_KEY)) panel.refresh().catch(showError);
else askForToken();
