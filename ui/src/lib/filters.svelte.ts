// Filters that stay when the user leaves a screen and comes back.
export const invoiceFilters = $state({
  search: '',
  status: 'open',
  dueFrom: '',
  dueTo: '',
  sort: 'due_date',
  /** Restricts the list to one client (set from the client file). */
  clientId: null as number | null,
  clientName: '',
});
