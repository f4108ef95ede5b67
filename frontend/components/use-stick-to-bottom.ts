"use client";
/**
 * Keeps the newest text of a scrolling transcript in view until the visitor scrolls up to read.
 * Any upward movement lets go — a wheel or trackpad step, a finger drag, a key — however small;
 * only reaching the bottom again (or "Scroll to the latest message") sticks again.
 */
import { type RefObject, useCallback, useEffect, useRef, useState } from "react";

export interface StickToBottom {
  scrollRef: RefObject<HTMLDivElement | null>;
  onScroll: () => void;
  /** True while the visitor reads further up (the page offers a way back down). */
  awayFromBottom: boolean;
  /** Scrolls to the newest message and sticks there again. */
  scrollToLatest: () => void;
  /** Sticks to the bottom again from the next change on (a new question was sent). */
  stick: () => void;
}

/** Within this many pixels of the end counts as "at the bottom" (fractional scroll positions). */
const AT_BOTTOM_PX = 4;
const UP_KEYS = new Set(["ArrowUp", "PageUp", "Home"]);

/** Whether the visitor asked for less motion. */
export function prefersReducedMotion(): boolean {
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
}

export function useStickToBottom(): StickToBottom {
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const stuck = useRef(true);
  const lastTop = useRef(0);
  const [awayFromBottom, setAway] = useState(false);

  const setStuck = useCallback((value: boolean) => {
    stuck.current = value;
    setAway(!value);
  }, []);

  useEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const pin = () => {
      if (!stuck.current) return;
      el.scrollTop = el.scrollHeight;
      lastTop.current = el.scrollTop;
    };
    // Follow every change of the transcript (a token, a notice), not a list of React state.
    const observer = new MutationObserver(pin);
    observer.observe(el, { childList: true, subtree: true, characterData: true });
    // …and of the view's own height (a notice above the message box takes room from it).
    const resized = typeof ResizeObserver === "function" ? new ResizeObserver(pin) : undefined;
    resized?.observe(el);
    // The intent to read further up lets go at once, before the scroll event (a token arriving
    // in between would otherwise pull the view back down).
    const letGo = () => {
      if (el.scrollTop > 0 && stuck.current) setStuck(false);
    };
    const onWheel = (e: WheelEvent) => {
      if (e.deltaY < 0) letGo();
    };
    let touchY: number | undefined;
    const onTouchStart = (e: TouchEvent) => {
      touchY = e.touches[0]?.clientY;
    };
    const onTouchMove = (e: TouchEvent) => {
      const y = e.touches[0]?.clientY;
      if (y !== undefined && touchY !== undefined && y > touchY) letGo();
      touchY = y;
    };
    const onKey = (e: KeyboardEvent) => {
      if (UP_KEYS.has(e.key) && e.target === el) letGo();
    };
    el.addEventListener("wheel", onWheel, { passive: true });
    el.addEventListener("touchstart", onTouchStart, { passive: true });
    el.addEventListener("touchmove", onTouchMove, { passive: true });
    el.addEventListener("keydown", onKey);
    pin();
    return () => {
      observer.disconnect();
      resized?.disconnect();
      el.removeEventListener("wheel", onWheel);
      el.removeEventListener("touchstart", onTouchStart);
      el.removeEventListener("touchmove", onTouchMove);
      el.removeEventListener("keydown", onKey);
    };
  }, [setStuck]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const top = el.scrollTop;
    const atBottom = el.scrollHeight - top - el.clientHeight <= AT_BOTTOM_PX;
    if (atBottom) {
      if (!stuck.current) setStuck(true);
    } else if (top < lastTop.current && stuck.current) {
      setStuck(false);
    }
    lastTop.current = top;
  }, [setStuck]);

  const stick = useCallback(() => setStuck(true), [setStuck]);

  const scrollToLatest = useCallback(() => {
    const el = scrollRef.current;
    setStuck(true);
    el?.scrollTo({ top: el.scrollHeight, behavior: prefersReducedMotion() ? "auto" : "smooth" });
  }, [setStuck]);

  return { scrollRef, onScroll, awayFromBottom, scrollToLatest, stick };
}
