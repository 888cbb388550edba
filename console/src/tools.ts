// What every page may ask of the signed-in shell: report a result, report a failure, confirm.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface ConfirmRequest {
  readonly title: string;
  readonly message: string;
  /** The confirming button's name: the action's verb ("Kick", "Reset", ...). */
  readonly verb: string;
}

export interface ConsoleTools {
  /** A result, read out politely by screen readers ("Closed 2 connections of alice."). */
  announce(message: string): void;
  /** A failure in the alert region; `action` completes "Could not …" (a 401 is not reported: the app signs out). */
  fail(error: unknown, action: string): void;
  /** Asks in a modal dialog; true when confirmed. */
  confirm(request: ConfirmRequest): Promise<boolean>;
}

export const ToolsContext = createContext<ConsoleTools | null>(null);

export function useTools(): ConsoleTools {
  const tools = useContext(ToolsContext);
  if (tools === null) throw new Error('useTools() outside the signed-in shell');
  return tools;
}
