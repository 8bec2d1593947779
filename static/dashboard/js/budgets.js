// The budgets panel: each budget's spend this period against its amount (from the server's
// kept totals, exact to the cent), a forecast from the period's run rate, a status, and the
// alerts raised, with a passing notice for each new one. At most one redraw per animation
// frame, however many budgets frames arrive.
import { applyFilters } from './url-state.js';

// As budgets.services.FORECAST_MIN_ELAPSED: the run rate of a period's first tenth is noise.
const FORECAST_MIN_ELAPSED = 0.1;
const NOTICE_MS = 8000;
const PERIOD_TEXT = { day: 'today', week: 'this week', month: 'this month', quarter: 'this quarter', year: 'this year' };
const STATUS_TEXT = { ok: 'On track', risk: 'At risk', over: 'Over' };

const money = (cents) => `$${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function forecastCents(budget, now) {
  const elapsed = (now - budget.start) / (budget.end - budget.start);
  if (elapsed < FORECAST_MIN_ELAPSED) return null;
  return Math.round(budget.spent / Math.min(elapsed, 1));
}

export function budgetStatus(budget, forecast) {
  if (budget.spent >= budget.amount) return 'over';
  return forecast !== null && forecast > budget.amount ? 'risk' : 'ok';
}

function element(tag, attributes = {}, ...children) {
  const node = Object.assign(document.createElement(tag), attributes);
  node.append(...children);
  return node;
}

export function createBudgets(panel, charts) {
  const list = panel.querySelector('.budget-list');
  const alertList = panel.querySelector('.alert-list');
  const notice = document.getElementById('alert-notice');
  let frame = null;
  let seenAlerts = null; // the alert ids already shown: a new one gets a notice
  let requested = false;
  let noticeTimer;

  function update(next) {
    frame = next;
    const ids = next.alerts.map((a) => a.id);
    if (seenAlerts !== null) {
      const fresh = next.alerts.filter((a) => !seenAlerts.has(a.id));
      if (fresh.length) showNotice(fresh);
    }
    seenAlerts = new Set([...(seenAlerts || []), ...ids]);
    if (!requested) {
      requested = true;
      requestAnimationFrame(render);
    }
  }

  function showNotice(alerts) {
    notice.textContent = alerts.map((a) => `${a.budget_name}: ${a.label} (${money(a.value)})`).join(' · ');
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.hidden = true; }, NOTICE_MS);
  }

  function applyScope(budget) {
    charts.person.filterAll();
    charts.payType.filterAll();
    const scope = {};
    if (budget.person) scope.person = [budget.person];
    if (budget.pay_type) scope.payType = [budget.pay_type];
    applyFilters(charts, scope);
    dc.redrawAll();
  }

  function budgetRow(budget, now) {
    const forecast = forecastCents(budget, now);
    const status = budgetStatus(budget, forecast);
    const scale = Math.max(budget.amount, budget.spent, forecast || 0);
    const bar = element('div', { className: 'budget-bar' },
      element('span', { className: 'budget-forecast' }),
      element('span', { className: 'budget-spent' }),
      element('span', { className: 'budget-amount', title: `Amount ${money(budget.amount)}` }));
    bar.children[0].style.width = `${(100 * (forecast || 0)) / scale}%`;
    bar.children[1].style.width = `${(100 * budget.spent) / scale}%`;
    bar.children[2].style.left = `${(100 * budget.amount) / scale}%`;
    const scope = [budget.person, budget.pay_type].filter(Boolean).join(', ') || 'everyone';
    const ended = now >= budget.end ? ' (period ended; updates with the next record)' : '';
    const row = element('li', { className: 'budget', tabIndex: 0, title: 'Filter the dashboard to this budget' },
      element('div', { className: 'budget-head' },
        element('span', { className: 'budget-name' }, budget.name, budget.example ? ' (example)' : ''),
        element('span', { className: `budget-status status-${status}` }, STATUS_TEXT[status])),
      bar,
      element('div', { className: 'budget-figures' },
        element('span', { className: 'budget-spend' }, `${money(budget.spent)} of ${money(budget.amount)} ${PERIOD_TEXT[budget.period]}${ended}`),
        element('span', {}, forecast === null ? 'forecast: after the first tenth of the period' : `forecast ${money(forecast)}`),
        element('span', { className: 'budget-scope' }, scope)));
    Object.assign(row.dataset, { budgetId: budget.id, spentCents: budget.spent, amountCents: budget.amount, status });
    row.addEventListener('click', () => applyScope(budget));
    row.addEventListener('keydown', (event) => { if (event.key === 'Enter') applyScope(budget); });
    return row;
  }

  function render() {
    requested = false;
    const now = Date.now();
    panel.hidden = false;
    panel.querySelector('.budget-zone').textContent = frame.time_zone;
    list.replaceChildren(...frame.budgets.map((b) => budgetRow(b, now)));
    if (!frame.budgets.length) list.append(element('li', { className: 'empty' }, 'No budgets yet: staff add them in the admin.'));
    alertList.replaceChildren(...frame.alerts.map((a) => {
      const item = element('li', {},
        element('time', { dateTime: new Date(a.at).toISOString() }, new Date(a.at).toLocaleString()),
        ` ${a.budget_name}: ${a.label}, ${money(a.value)} of ${money(a.amount)}`);
      item.dataset.alertId = a.id;
      return item;
    }));
    if (!frame.alerts.length) alertList.append(element('li', { className: 'empty' }, 'No alerts.'));
  }

  // The forecast and the period's end move with the clock.
  setInterval(() => { if (frame && !requested) { requested = true; requestAnimationFrame(render); } }, 60_000);

  return { update };
}
