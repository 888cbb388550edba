// The `ws` package as tsconfig.client.json sees it (its "paths" maps `ws` here). The real typings
// (@types/ws) pull in @types/node, which would let Node APIs into the SDK unnoticed. socket.ts
// loads `ws` lazily and uses only its WebSocket class; tsconfig.json still checks that use against
// the real typings.
import type { WebSocketConstructor } from './socket.js';

export declare const WebSocket: WebSocketConstructor;
declare const defaultExport: WebSocketConstructor;
export default defaultExport;
