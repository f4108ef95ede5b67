/** The delete confirmation keeps the keyboard inside it. */
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ConfirmDelete } from "./confirm-delete";

describe("ConfirmDelete", () => {
  it("focuses Cancel, traps Tab and Shift+Tab, and Esc cancels", async () => {
    const user = userEvent.setup();
    const onCancel = vi.fn();
    render(
      <>
        <button type="button">Outside</button>
        <ConfirmDelete onConfirm={() => {}} onCancel={onCancel} />
      </>,
    );
    const cancel = screen.getByRole("button", { name: "Cancel" });
    const del = screen.getByRole("button", { name: "Delete" });
    expect(cancel).toHaveFocus();
    await user.tab();
    expect(del).toHaveFocus();
    await user.tab();
    expect(cancel).toHaveFocus();
    await user.tab({ shift: true });
    expect(del).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(onCancel).toHaveBeenCalledTimes(1);
  });
});
