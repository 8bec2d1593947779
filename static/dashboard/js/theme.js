// Light or dark: the system's choice until the toggle picks one, remembered in this browser.
const KEY = 'rtviz-theme';
const systemDark = window.matchMedia('(prefers-color-scheme: dark)');

function stored() {
  try { return localStorage.getItem(KEY); } catch { return null; } // storage may be refused
}

function effective() {
  return document.documentElement.dataset.theme || (systemDark.matches ? 'dark' : 'light');
}

function show(button) {
  const dark = effective() === 'dark';
  button.setAttribute('aria-pressed', String(dark));
  button.textContent = dark ? 'Light theme' : 'Dark theme';
}

const chosen = stored();
if (chosen === 'light' || chosen === 'dark') document.documentElement.dataset.theme = chosen;
const button = document.getElementById('theme');
if (button) {
  show(button);
  systemDark.addEventListener('change', () => show(button));
  button.addEventListener('click', () => {
    const next = effective() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try { localStorage.setItem(KEY, next); } catch { /* not remembered, still applied */ }
    show(button);
  });
}
