/** The conversation on screen: one list item per message, the answer growing as it streams. */

export interface AnswerBubble {
  append(text: string): void;
  /** The answer was stopped before it ended. */
  interrupted(): void;
}

export class TranscriptView {
  constructor(private readonly list: HTMLOListElement) {}

  clear(): void {
    this.list.replaceChildren();
  }

  user(text: string): void {
    this.add('user', text);
  }

  assistant(text = '', interrupted = false): AnswerBubble {
    const item = this.add('assistant', text);
    if (interrupted) item.classList.add('interrupted');
    const body = item.lastChild as Text;
    return {
      append: (more) => {
        body.appendData(more);
        this.scroll();
      },
      interrupted: () => item.classList.add('interrupted'),
    };
  }

  private add(role: 'user' | 'assistant', text: string): HTMLLIElement {
    const item = document.createElement('li');
    item.className = role;
    const label = document.createElement('span');
    label.className = 'visually-hidden';
    label.textContent = role === 'user' ? 'You: ' : 'Assistant: ';
    // Text, never HTML: model output and transcripts are untrusted.
    item.append(label, document.createTextNode(text));
    this.list.append(item);
    this.scroll();
    return item;
  }

  private scroll(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }
}
