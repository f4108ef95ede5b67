import type { Metadata } from "next";
import { EmbedChat } from "@/components/embed-chat";

/** The compact chat page the widget (/widget.js) frames on other sites. */
export const metadata: Metadata = {
  title: "Chat · Digital Twin",
  robots: { index: false },
};

export default function EmbedPage() {
  return <EmbedChat />;
}
