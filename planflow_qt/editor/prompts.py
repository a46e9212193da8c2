"""The questions the editor asks the user, in one replaceable object (tests and scripts inject answers)."""

from __future__ import annotations

from pathlib import Path

from Qt import QtWidgets

FLOW_FILTER = "Flows (*.json *.planflow.json);;All files (*)"


class Prompts:
    """Dialogs of the editor: unsaved changes, recovery, file names, errors."""

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        self.parent = parent

    def save_changes(self, name: str) -> str:
        """`save`, `discard` or `cancel` for unsaved changes of the flow `name`."""
        box = QtWidgets.QMessageBox(self.parent)
        box.setIcon(QtWidgets.QMessageBox.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"The flow “{name}” has unsaved changes.")
        box.setInformativeText("Save them before closing it?")
        box.setStandardButtons(QtWidgets.QMessageBox.Save | QtWidgets.QMessageBox.Discard
                               | QtWidgets.QMessageBox.Cancel)
        box.setDefaultButton(QtWidgets.QMessageBox.Save)
        answer = box.exec()
        return {QtWidgets.QMessageBox.Save: "save", QtWidgets.QMessageBox.Discard: "discard"}.get(
            QtWidgets.QMessageBox.StandardButton(answer), "cancel")

    def stop_run(self, action: str) -> bool:
        """Whether to stop the running flow in order to `action` (quit, open another flow...)."""
        answer = QtWidgets.QMessageBox.question(
            self.parent, "A flow is running",
            f"A flow is running. Stop it after the current node and {action}?\n\n"
            "(No: the run goes on and nothing else happens)")
        return answer == QtWidgets.QMessageBox.Yes

    def recover(self, path: Path | None, recovery: Path) -> bool:
        """Whether to open the autosaved changes found in `recovery`."""
        what = f"“{path.name}”" if path else "an untitled flow"
        answer = QtWidgets.QMessageBox.question(
            self.parent, "Recover unsaved changes",
            f"The editor did not close normally: unsaved changes of {what} were autosaved to\n{recovery}\n\n"
            "Open the autosaved version? (No: it is deleted)")
        return answer == QtWidgets.QMessageBox.Yes

    def open_path(self, folder: Path) -> Path | None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(self.parent, "Open flow", str(folder), FLOW_FILTER)
        return Path(name) if name else None

    def patient_folder(self, folder: Path) -> Path | None:
        name = QtWidgets.QFileDialog.getExistingDirectory(self.parent, "DICOM patient folder (CT and RTSTRUCT)",
                                                          str(folder))
        return Path(name) if name else None

    def save_path(self, suggestion: Path) -> Path | None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self.parent, "Save flow as", str(suggestion), FLOW_FILTER)
        return Path(name) if name else None

    def export_path(self, suggestion: Path, kind: str) -> Path | None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(self.parent, f"Export diagram as {kind.upper()}",
                                                        str(suggestion), f"{kind.upper()} (*.{kind})")
        return Path(name) if name else None

    def error(self, title: str, text: str) -> None:
        QtWidgets.QMessageBox.critical(self.parent, title, text)
