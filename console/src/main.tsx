// The console's entry point: mounts the app into #app (index.html has nothing else to run).
import { render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app');
if (root !== null) {
  root.textContent = '';
  render(<App />, root);
}
