import { render } from 'preact';
import { App } from './app';
import './styles.css';

const root = document.getElementById('app')!;
// The static "loading" text is there until the app runs; the app replaces it.
root.textContent = '';
render(<App />, root);
