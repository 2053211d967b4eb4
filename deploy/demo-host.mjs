// The host half of the demo (filled in by the host daemon work): returns a summary to print.
export async function startHostDemo() {
  return { summary: '' };
}
