// For the browser tests' invariant check: the charts' own totals, exactly as grouped.

export function installTestHooks(store) {
  const entries = (group) => Object.fromEntries(
    group.all().filter((d) => d.value !== 0).map((d) => [d.key, d.value]),
  );
  window.rtvizTotals = () => ({
    byName: entries(store.groups.spendByName),
    byPayType: entries(store.groups.spendByPayType),
    byYear: entries(store.groups.spendByYear),
    count: store.groups.count.value(),
    spent: store.groups.totalSpend.value(),
  });
}
