/**
 * The side list of this token's conversations (GET /v1/sessions), or of search hits
 * (?search=): each can be reopened, and a listed one deleted (DELETE /v1/sessions/{id}).
 */
import type { Api } from './api.js';

export interface SessionsPanelEvents {
  open(id: string): void;
  deleted(id: string): void;
  failed(error: unknown): void;
}

export class SessionsPanel {
  private current: string | undefined;
  private search = '';

  constructor(private readonly list: HTMLUListElement, private readonly api: Api, private readonly events: SessionsPanelEvents) {}

  setCurrent(id: string | undefined): void {
    this.current = id;
    for (const button of this.list.querySelectorAll<HTMLButtonElement>('button.open')) {
      button.setAttribute('aria-current', String(button.dataset.session === id));
    }
  }

  /** Lists the conversations, or the hits of `search` (by default the last one asked for). */
  async refresh(search = this.search): Promise<void> {
    this.search = search;
    const found = await this.api.sessions(search.trim() || undefined);
    const rows = found.hits
      ? found.hits.map((hit) => ({ id: hit.session, label: hit.snippet, removable: false }))
      : (found.sessions ?? []).map((session) => ({ id: session.id, label: session.preview || 'Empty conversation', removable: true }));
    this.list.replaceChildren(...rows.map((row) => this.item(row.id, row.label, row.removable)));
    if (rows.length === 0) {
      const empty = document.createElement('li');
      empty.className = 'empty';
      empty.textContent = search ? 'Nothing found.' : 'No conversations yet.';
      this.list.append(empty);
    }
    this.setCurrent(this.current);
  }

  private item(id: string, label: string, removable: boolean): HTMLLIElement {
    const item = document.createElement('li');
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'open';
    open.dataset.session = id;
    open.textContent = label;
    open.title = label;
    open.addEventListener('click', () => this.events.open(id));
    item.append(open);
    if (removable) {
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'delete';
      remove.textContent = '✕';
      remove.setAttribute('aria-label', `Delete conversation: ${label}`);
      remove.addEventListener('click', () => void this.remove(id, label));
      item.append(remove);
    }
    return item;
  }

  private async remove(id: string, label: string): Promise<void> {
    if (!window.confirm(`Delete the conversation “${label}”? This cannot be undone.`)) return;
    try {
      await this.api.deleteSession(id);
      this.events.deleted(id);
      await this.refresh();
    } catch (error) {
      this.events.failed(error);
    }
  }
}
