# Script TOP callbacks: show sdlive's output (sdlive run --output shm:sdlive-out) in TouchDesigner.
# Put sdlive_shm.py in a Text DAT named "sdlive_shm" next to this Script TOP (or on the Python path),
# and set the Script TOP's "Cook Every Frame" on (Common page), or keep a Perform CHOP referencing it.
import numpy as np

sdlive_shm = mod('sdlive_shm') if 'mod' in globals() else __import__('sdlive_shm')  # noqa: F821 (TouchDesigner's mod)
_readers = {}


def onSetupParameters(scriptOp):
    page = scriptOp.appendCustomPage('sdlive')
    page.appendStr('Ringname', label='Ring name')[0].default = 'sdlive-out'
    page.appendToggle('Raw', label='Raw RGB (no header)')
    page.appendInt('Rawsize', label='Raw width, height', size=2)
    return


def onCook(scriptOp):
    name = scriptOp.par.Ringname.eval() or 'sdlive-out'
    if scriptOp.par.Raw.eval():
        w, h = scriptOp.par.Rawsize1.eval() or 512, scriptOp.par.Rawsize2.eval() or 512
        reader = _readers.setdefault((name, w, h), sdlive_shm.RawReader(name, w, h))
        pixels = reader.read()
    else:
        reader = _readers.setdefault(name, sdlive_shm.RingReader(name))
        got = reader.read()
        pixels = got[0] if got else None
    if pixels is not None:
        scriptOp.copyNumpyArray(sdlive_shm.to_td(pixels))
    # No new frame: the TOP keeps showing the last one.
    return
