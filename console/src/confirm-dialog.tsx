// The one confirmation dialog: a native <dialog> opened with showModal(), so focus is trapped
// inside, Esc cancels and the page behind is inert. Focus starts on Cancel: a stray Enter must
// not kick or reset anything.
import { useEffect, useId, useRef } from 'preact/hooks';
import type { ConfirmRequest } from './tools.js';

interface Props {
  /** The question being asked, or null when the dialog is closed. */
  readonly request: ConfirmRequest | null;
  readonly onAnswer: (confirmed: boolean) => void;
}

export function ConfirmDialog({ request, onAnswer }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const answer = useRef(onAnswer);
  answer.current = onAnswer;
  const titleId = useId();
  const messageId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (request !== null && !element.open) {
      element.showModal();
      cancel.current?.focus();
    } else if (request === null && element.open) {
      element.close();
    }
  }, [request]);

  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    // Esc (the 'cancel' event) and any other close count as Cancel. Answering closes the dialog
    // too, by which time the request is gone, so the shell's onAnswer ignores the repeat.
    const closed = (): void => answer.current(false);
    element.addEventListener('close', closed);
    return () => element.removeEventListener('close', closed);
  }, []);

  return (
    <dialog ref={dialog} class="confirm" aria-labelledby={titleId} aria-describedby={messageId}>
      <h2 id={titleId}>{request?.title}</h2>
      <p id={messageId}>{request?.message}</p>
      <div class="dialog-buttons">
        <button type="button" class="danger" onClick={() => answer.current(true)}>
          {request?.verb}
        </button>
        <button type="button" ref={cancel} onClick={() => answer.current(false)}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}
