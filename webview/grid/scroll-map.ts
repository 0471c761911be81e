/**
 * Maps a bounded native scroll range onto a virtual row space. Browsers cap element height (~33M px
 * in Chromium), so 10M rows of 22 px (220M px) cannot be one tall element. Up to MAX_SCROLL_PX the
 * mapping is 1:1; past it the spacer stays MAX_SCROLL_PX tall and scrollTop is scaled linearly so
 * that scrollTop 0 shows the first row and the largest scrollTop shows the last row exactly.
 */
export const MAX_SCROLL_PX = 4_000_000;

export class ScrollMap {
  constructor(
    readonly rowCount: number,
    readonly rowHeight: number,
    /** Height of the visible row area. */
    readonly viewportHeight: number,
  ) {}

  /** Height of the virtual content (every row at full height). */
  get virtualHeight(): number {
    return this.rowCount * this.rowHeight;
  }

  /** Height of the spacer element that gives the native scrollbar its range. */
  get spacerHeight(): number {
    return Math.min(this.virtualHeight, MAX_SCROLL_PX);
  }

  /** Largest virtual top offset: the last row sits at the bottom of the viewport. */
  get maxVirtualTop(): number {
    return Math.max(0, this.virtualHeight - this.viewportHeight);
  }

  get maxScrollTop(): number {
    return Math.max(0, this.spacerHeight - this.viewportHeight);
  }

  get scaled(): boolean {
    return this.virtualHeight > MAX_SCROLL_PX;
  }

  clampVirtualTop(top: number): number {
    return Math.min(Math.max(0, top), this.maxVirtualTop);
  }

  virtualTopFromScrollTop(scrollTop: number): number {
    if (!this.scaled) return this.clampVirtualTop(scrollTop);
    const maxScroll = this.maxScrollTop;
    if (maxScroll <= 0) return 0;
    return this.clampVirtualTop((Math.min(scrollTop, maxScroll) / maxScroll) * this.maxVirtualTop);
  }

  scrollTopFromVirtualTop(top: number): number {
    if (!this.scaled) return top;
    const maxVirtual = this.maxVirtualTop;
    return maxVirtual <= 0 ? 0 : (top / maxVirtual) * this.maxScrollTop;
  }
}
