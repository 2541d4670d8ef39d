"""Development only: the local emulator (AWS in moto, the Creatify simulator, consumers), up and demo."""
